#!/usr/bin/env node
// `--version` is answered without loading oclif: it is what scripts and installers call most.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const { execute } = await loadOclif();
  await execute({ dir: import.meta.url });
}

/**
 * Help is printed by a one-file bundle of @oclif/core made at build time (scripts/bundle-help.js):
 * the same code, loaded in a third of the time. Only invocations that can do nothing but print help
 * go there; commands always run on @oclif/core from node_modules, which they import themselves.
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
    const { existsSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { fileURLToPath } = await import('node:url');
    const bundle = fileURLToPath(new URL('../dist/oclif-help.cjs', import.meta.url));
    // require, not import(): import() would first scan the whole bundle for its export names.
    if (existsSync(bundle)) return createRequire(import.meta.url)(bundle);
  }
  return import('@oclif/core');
}
