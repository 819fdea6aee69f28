// Bundles the fast path of `show`, `status` and `aggregate --json` (dist/src/cli/fast-json.js, see
// there) into dist/fast/: a few files instead of the ~35 ES modules it imports, since Node's ES module
// loader spends about 1 ms a module and that path's whole budget is a few tens of ms above Node's
// start-up. Built from tsc's output, so it is the same code. The targets stay in chunks of their
// own, loaded on use (the AWS SDK is never loaded for a local stack); better-sqlite3 and the SDK
// come from node_modules.
// Usage: node scripts/bundle-fast.js [package root]
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const entry = join(root, 'dist', 'src', 'cli', 'fast-json.js');
const outdir = join(root, 'dist', 'fast');
await build({
  entryPoints: [entry],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', '@aws-sdk/*'],
  logLevel: 'warning',
});
console.log(`dist/fast/fast-json.js: ${(statSync(join(outdir, 'fast-json.js')).size / 1024).toFixed(1)} KiB`);
