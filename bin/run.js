#!/usr/bin/env node
// Three ways in, cheapest first. `--version` and help print text without loading oclif: they are
// what people and installers run most, and oclif's load alone costs more than Node's start-up.
// `show`, `status` and `aggregate --json` on a local stack, what scripts poll, run without oclif
// too (src/cli/fast-json.ts, bundled into dist/fast/). Everything else, and anything these paths do not recognise
// exactly, goes to oclif from node_modules.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  // A reader that already left (`| head -0`) is not an error, as for every command (src/cli/output.ts).
  process.stdout.on('error', () => {});
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else if (!(await printHelp()) && !(await runFastJson())) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}

/**
 * Prints the help the build rendered with oclif (scripts/help.js, dist/help.json) for an invocation
 * that can only print help, when oclif would lay it out the same way: 80 columns (a pipe, or a
 * terminal at least that wide, since help is capped at 80), plain or with the bold headers oclif
 * prints where its colour libraries say colour is on, and no user theme. False otherwise: oclif prints it.
 */
async function printHelp() {
  if (args.length > 2 || !args.every((arg) => /^(-h|--help|[a-z][a-z-]*)$/.test(arg))) return false;
  const env = process.env;
  if (env.OCLIF_COLUMNS || env.DEBUG || env.SENSORPIPE_DEBUG) return false;
  const { readFileSync, existsSync } = await import('node:fs');
  let help;
  try {
    help = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'));
  } catch {
    return false;
  }
  const invocation = help.invocations[args.join(' ')];
  if (!invocation) return false;
  let color = false;
  if (process.stdout.isTTY || 'FORCE_COLOR' in env) {
    const columns = process.stdout.isTTY ? (process.stdout.getWindowSize?.()[0] ?? 0) : 0;
    if (columns >= 1 && columns < help.width) return false;
    // The libraries oclif asks, resolved from oclif itself: the same answer for the same environment.
    const { createRequire } = await import('node:module');
    const oclif = createRequire(createRequire(import.meta.url).resolve('@oclif/core'));
    const supports = oclif('supports-color');
    color = Boolean(supports.stdout) && Boolean(supports.stderr) && oclif('ansis').isSupported();
    if (color) {
      const { homedir } = await import('node:os');
      const { join } = await import('node:path');
      const configDir =
        env.SENSORPIPE_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'sensorpipe');
      if (process.platform === 'win32' || existsSync(join(configDir, 'theme.json'))) return false;
    }
  }
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const userAgent = `${name}/${version} ${process.platform}-${process.arch} node-${process.version}`;
  process.stdout.write(
    help.texts[color ? invocation.color : invocation.plain].split(help.userAgent).join(userAgent),
  );
  return true;
}

/** `show`, `status` or `aggregate` with `--json`: the fast path decides whether it can run it. */
async function runFastJson() {
  if (!['show', 'status', 'aggregate'].includes(args[0]) || !args.includes('--json')) return false;
  let fast;
  try {
    fast = await import('../dist/fast/fast-json.js');
  } catch {
    return false;
  }
  return fast.runFastJson(args, new URL('../oclif.manifest.json', import.meta.url));
}
