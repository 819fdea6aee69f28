// Bundles @oclif/core's `execute` into one CommonJS file, dist/oclif-help.cjs, that bin/run.js uses
// for invocations that can only print help (`sensorpipe`, `--help`, `help <command>`,
// `<command> --help`). It is oclif's own code, so help reads exactly as it does otherwise; loading
// one file instead of resolving and compiling ~100 modules takes about a third off the cold start.
// No command ever runs from it: commands import @oclif/core from node_modules.
// Usage: node scripts/bundle-help.js [outfile]
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
console.log(
  `${relative(process.cwd(), outfile) || outfile}: ${(statSync(outfile).size / 1024).toFixed(0)} KiB`,
);
