#!/usr/bin/env node
// `--version` is answered without loading oclif: it is what scripts and installers call most.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  // A reader that already left (`| head -0`) is not an error, as for every command (src/cli/output.ts).
  process.stdout.on('error', () => {});
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const { execute } = await loadOclif();
  await execute({ dir: import.meta.url });
}

/**
 * Help is printed by a one-file bundle of @oclif/core made at build time (scripts/bundle-help.js):
 * the same code, loaded in half the time. Only invocations that can do nothing but print help go
 * there; commands always run on @oclif/core from node_modules, which they import themselves.
 */
async function loadOclif() {
  const word = /^[a-z][a-z-]*$/;
  const helpFlag = (arg) => arg === '--help' || arg === '-h';
  const onlyHelp =
    args.length === 0 ||
    (args.length === 1 && (helpFlag(args[0]) || args[0] === 'help')) ||
    (args.length === 2 &&
      word.test(args[0]) &&
      (helpFlag(args[1]) || (args[0] === 'help' && word.test(args[1]))));
  if (onlyHelp) {
    const oclif = await loadHelpBundle();
    if (oclif) return oclif;
  }
  return import('@oclif/core');
}

/**
 * dist/oclif-help.cjs as CommonJS, compiled with the V8 code cache the build made beside it (about
 * 30 ms less than compiling it). V8 rejects a cache from another Node version and compiles the
 * source instead. Undefined when the bundle was not built.
 */
async function loadHelpBundle() {
  const [{ readFileSync }, vm, { default: Module, createRequire }, { fileURLToPath }, { dirname }] =
    await Promise.all([
      import('node:fs'),
      import('node:vm'),
      import('node:module'),
      import('node:url'),
      import('node:path'),
    ]);
  const file = fileURLToPath(new URL('../dist/oclif-help.cjs', import.meta.url));
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {}
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}
