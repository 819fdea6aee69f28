// Loaded by mocha before any spec (.mocharc.json): what every test process needs, once.
// The SDK we ship runs on Node 20; its notice that later versions need Node 22 is not for tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Renderers decide colour and width from the environment (src/render/terminal.ts): an engineer's
// FORCE_COLOR or COLUMNS must not change what the specs read.
delete process.env.FORCE_COLOR;
delete process.env.COLUMNS;
