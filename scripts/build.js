// The one build: `npm run build` runs it in place, and the tests run it into a private package root.
//   node scripts/build.js              builds this checkout: dist/, oclif.manifest.json
//   node scripts/build.js --root DIR   makes DIR a package root (package.json, bin, templates, a link
//                                      to node_modules) and builds into it
// Steps: tsc (tsconfig.build.json) to dist/, the oclif manifest, the Lambda bundles (dist/lambdas),
// the fast path of show/status/aggregate --json (dist/fast), and the help texts (dist/help.json).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootFlag = process.argv.indexOf('--root');
const root = rootFlag >= 0 ? resolve(process.argv[rootFlag + 1] ?? '') : repo;

if (root !== repo) {
  mkdirSync(root, { recursive: true });
  for (const entry of ['package.json', 'bin', 'templates'])
    cpSync(join(repo, entry), join(root, entry), { recursive: true });
  if (!existsSync(join(root, 'node_modules')))
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
}
rmSync(join(root, 'dist'), { recursive: true, force: true });

const node = (script, ...args) =>
  execFileSync(process.execPath, [script, ...args], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
node(
  join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
  '-p',
  join(repo, 'tsconfig.build.json'),
  '--outDir',
  join(root, 'dist'),
);
node(join(repo, 'scripts', 'manifest.js'), root);
node(join(repo, 'scripts', 'bundle-lambdas.js'), join(root, 'dist', 'lambdas'));
node(join(repo, 'scripts', 'bundle-fast.js'), root);
node(join(repo, 'scripts', 'help.js'), root);
