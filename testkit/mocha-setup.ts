// Loaded by mocha before any spec (.mocharc.json): what every test process needs, once.
// The SDK we ship runs on Node 20; its notice that later versions need Node 22 is not for tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
