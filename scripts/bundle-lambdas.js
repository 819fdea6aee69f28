// Bundles each Lambda entry point (lambdas/*.ts) into one CommonJS file, dist/lambdas/<name>.js,
// that runs as the function's index.js. The Lambda Node.js runtime provides the AWS SDK v3.
// Usage: node scripts/bundle-lambdas.js [outdir]
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? join(root, 'dist', 'lambdas'));
const names = ['storing', 'aggregation'];
const MAX_BYTES = 50 * 1024;

mkdirSync(outdir, { recursive: true });
// The package is ESM; the bundles are CommonJS, as a function's index.js is.
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
await build({
  entryPoints: names.map((name) => ({ in: join(root, 'lambdas', `${name}.ts`), out: name })),
  outdir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
});
let tooBig = false;
for (const name of names) {
  const file = join(outdir, `${name}.js`);
  const bytes = statSync(file).size;
  tooBig ||= bytes > MAX_BYTES;
  console.log(`${relative(process.cwd(), file) || file}: ${(bytes / 1024).toFixed(1)} KiB`);
}
if (tooBig) {
  console.error(`a bundle is over ${MAX_BYTES / 1024} KiB`);
  process.exitCode = 1;
}
