// Bundles @oclif/core's `execute` into one CommonJS file, dist/oclif-help.cjs, that bin/run.js uses
// for invocations that can only print help (`sensorpipe`, `--help`, `help <command>`,
// `<command> --help`). It is oclif's own code, so help reads exactly as it does otherwise; loading
// one file, with a V8 code cache, instead of resolving and compiling ~100 modules halves the time
// help takes above Node's own start-up.
// No command ever runs from it: commands import @oclif/core from node_modules.
// Usage: node scripts/bundle-help.js [outfile]
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(process.argv[2] ?? join(root, 'dist', 'oclif-help.cjs'));

await build({
  stdin: { contents: "module.exports = require('@oclif/core/execute');", resolveDir: root, loader: 'js' },
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // oclif loads TypeScript only to run a plugin from its sources, which an installed CLI never does.
  external: ['typescript'],
  logLevel: 'warning',
});
// The V8 code cache bin/run.js compiles it with: made after running the module's top level, as
// bin/run.js does, so the functions that run then are in it too.
const script = new vm.Script(Module.wrap(readFileSync(outfile, 'utf8')), { filename: outfile });
const module = { exports: {} };
script
  .runInThisContext()
  .call(module.exports, module.exports, createRequire(outfile), module, outfile, dirname(outfile));
writeFileSync(`${outfile}.cache`, script.createCachedData());
const kib = (file) => `${(statSync(file).size / 1024).toFixed(0)} KiB`;
console.log(
  `${relative(process.cwd(), outfile) || outfile}: ${kib(outfile)}, code cache ${kib(`${outfile}.cache`)}`,
);
