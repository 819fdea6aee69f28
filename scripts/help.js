// Renders, at build time, the help of every invocation that can only print help (`sensorpipe`,
// `--help`, `-h`, `help`, `<command> --help`, `<command> -h`, `help <command>`) into dist/help.json,
// which bin/run.js prints without loading oclif. The text is oclif's own: each invocation runs
// through @oclif/core's `run` on the built package (its manifest, the Help class of package.json),
// in a child process whose stdout is a pipe, so the layout is oclif's for 80 columns. It is made twice:
// plain, and with the bold headers oclif prints where colour is on (FORCE_COLOR=1). The one thing
// that differs from machine to machine, the user agent of the root help's VERSION section
// (`sensorpipe/0.1.0 linux-x64 node-v20.20.2`), is stored as a placeholder.
// An oclif upgrade cannot break this: the text is rendered by whatever oclif is installed, and
// test/bin/help.e2e.ts compares every stored text with oclif's output byte for byte.
// Usage: node scripts/help.js <package root>      (writes <root>/dist/help.json)
//        node scripts/help.js --render <root> <out.json>   (the child: renders with its env)
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const USER_AGENT = '{{userAgent}}';

if (process.argv[2] === '--render') await render(resolve(process.argv[3]), process.argv[4]);
else build(resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..')));

function build(root) {
  const env = { ...process.env, SENSORPIPE_DISABLE_THEME: 'true' };
  for (const key of ['OCLIF_COLUMNS', 'FORCE_COLOR', 'NO_COLOR', 'DEBUG', 'SENSORPIPE_DEBUG'])
    delete env[key];
  const variant = (extra) => {
    const out = join(tmpdir(), `sensorpipe-help-${process.pid}-${Date.now()}.json`);
    try {
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--render', root, out], {
        env: { ...env, ...extra },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return JSON.parse(readFileSync(out, 'utf8'));
    } finally {
      rmSync(out, { force: true });
    }
  };
  const plain = variant({});
  const color = variant({ FORCE_COLOR: '1' });
  // Each text once; an invocation names its text in each variant.
  const texts = [];
  const index = (text) => (texts.includes(text) ? texts.indexOf(text) : texts.push(text) - 1);
  const invocations = {};
  for (const key of Object.keys(plain))
    invocations[key] = { plain: index(plain[key]), color: index(color[key]) };
  writeFileSync(
    join(root, 'dist', 'help.json'),
    `${JSON.stringify({ width: 80, userAgent: USER_AGENT, invocations, texts })}\n`,
  );
  console.log(`dist/help.json: ${Object.keys(invocations).length} invocations, ${texts.length} texts`);
}

async function render(root, out) {
  const { Config, run, flush } = await import('@oclif/core');
  const config = await Config.load(root);
  const invocations = [[], ['--help'], ['-h'], ['help']];
  for (const command of config.commands.filter((c) => !c.hidden)) {
    const words = command.id.split(':');
    invocations.push([...words, '--help'], [...words, '-h'], ['help', ...words]);
  }
  // flush() waits on stdout's drain once per invocation.
  process.stdout.setMaxListeners(0);
  const results = {};
  for (const args of invocations) {
    let stdout = '';
    let stderr = '';
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = (chunk) => {
      stdout += chunk;
      return true;
    };
    process.stderr.write = (chunk) => {
      stderr += chunk;
      return true;
    };
    process.exitCode = undefined;
    try {
      await run(args, root);
      await flush();
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    }
    if (stderr !== '' || (process.exitCode ?? 0) !== 0)
      throw new Error(`sensorpipe ${args.join(' ')} printed to stderr or failed: ${stderr}`);
    results[args.join(' ')] = stdout.split(config.userAgent).join(USER_AGENT);
  }
  process.exitCode = 0;
  writeFileSync(out, JSON.stringify(results));
}
