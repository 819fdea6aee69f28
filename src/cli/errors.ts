import { didYouMean } from '../core/did-you-mean.js';
import { causeChain, ExitCode, isSensorpipeError, UsageError } from '../core/errors.js';
import { printable, printableLines } from '../render/printable.js';
import { styleFor } from '../render/style.js';
import { stderrView } from './output.js';

export interface FormattedError {
  /**
   * One line for the terminal: what is wrong and what to do, printable (it quotes paths, data and
   * AWS's messages); a log that explains it follows on lines of its own. `json` keeps them exact.
   */
  line: string;
  exitCode: number;
  json: { error: { code: string; message: string; suggestions: string[]; exitCode: number; log?: string[] } };
  /** Shown with --debug: the stack and the causes. */
  detail: string;
}

interface OclifLikeError {
  oclif?: { exit?: number };
  code?: string;
  /** oclif's NonExistentFlagsError: the unknown flags as typed, and the command's flag definitions. */
  flags?: unknown;
  parse?: { input?: { flags?: Record<string, { char?: string; allowNo?: boolean; type?: string }> } };
}

/**
 * Turns any error into one line and an exit code. Known errors (ours and oclif's flag parsing) are
 * user errors: no stack. Anything else is a bug: a line that says so, and the stack with --debug.
 */
export function formatError(error: unknown, commandId?: string): FormattedError {
  const detail =
    error instanceof Error
      ? `${error.stack ?? error.message}\n${causeChain(error)
          .slice(1)
          .map((c) => `caused by: ${c}`)
          .join('\n')}`
      : String(error);
  if (isSensorpipeError(error)) {
    const suggestions = error.suggestions;
    // The one line; a log that explains it (a function's last lines) follows, indented.
    const line = [
      printable([error.message, ...suggestions].join(' ')),
      ...error.log.map((l) => `  | ${printable(l)}`),
    ].join('\n');
    const json = { code: error.code, message: error.message, suggestions, exitCode: error.exitCode };
    return {
      line,
      exitCode: error.exitCode,
      json: { error: error.log.length > 0 ? { ...json, log: error.log } : json },
      detail,
    };
  }
  const oclif = (error as OclifLikeError).oclif;
  if (error instanceof Error && oclif?.exit !== undefined) {
    // oclif's parser errors: a bad flag value, a missing argument, an unknown flag.
    const lines = error.message
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && line !== 'See more help with --help');
    // A flag's own parse error reads "Parsing --flag" with the reason on the next line: keep both.
    // A failed relation between flags (dependsOn, exclusive, exactlyOne) reads "The following
    // error(s) occurred:" with one reason a line: the reasons are the message.
    const first =
      /^Parsing --\S+$/.test(lines[0] ?? '') && lines[1] !== undefined
        ? `${lines[0]}: ${lines[1]}`
        : /^The following errors? occurred:$/.test(lines[0] ?? '') && lines.length > 1
          ? lines.slice(1).join('; ')
          : (lines[0] ?? error.message);
    const help = commandId ? ` See: sensorpipe ${commandId} --help` : ' See: sensorpipe --help';
    const meant = flagMeant(error as OclifLikeError);
    const message = `${first.replace(/\.$/, '')}.${meant ? ` Did you mean ${meant}?` : ''}${help}`;
    return {
      line: printable(message),
      exitCode: ExitCode.usage,
      json: { error: { code: 'USAGE', message, suggestions: [], exitCode: ExitCode.usage } },
      detail,
    };
  }
  const message = `Unexpected error: ${error instanceof Error ? error.message : String(error)} (run again with --debug for details, and please report it).`;
  return {
    line: printable(message),
    exitCode: ExitCode.failed,
    json: { error: { code: 'INTERNAL', message, suggestions: [], exitCode: ExitCode.failed } },
    detail,
  };
}

/**
 * The flag an unknown one was meant to be (`--intervl-ms`: `--interval-ms`), from the definitions the
 * parser had, so it holds for every command and every flag added later.
 */
function flagMeant(error: OclifLikeError): string | undefined {
  const typed = Array.isArray(error.flags) ? error.flags : [];
  const definitions = error.parse?.input?.flags;
  if (typed.length !== 1 || !definitions || typeof typed[0] !== 'string') return undefined;
  const names = Object.entries(definitions).flatMap(([name, flag]) => [
    `--${name}`,
    ...(flag.type === 'boolean' && flag.allowNo ? [`--no-${name}`] : []),
  ]);
  return didYouMean(typed[0].split('=')[0] ?? '', names);
}

/**
 * A command that does not exist, with the one meant when a known command is close enough
 * (`strem`: `stream`). The not-found hook and `sensorpipe help <command>` both raise it.
 */
export function commandNotFound(id: string, commandIds: Iterable<string>): UsageError {
  const typed = id.replaceAll(':', ' ');
  const meant = didYouMean(
    typed,
    [...commandIds].map((c) => c.replaceAll(':', ' ')),
  );
  return new UsageError(`"${typed}" is not a sensorpipe command.`, {
    suggestions: [...(meant ? [`Did you mean: sensorpipe ${meant}?`] : []), 'See: sensorpipe --help'],
  });
}

/**
 * Reports an error the one way every command does: one line on stderr, or the JSON envelope on
 * stdout with --json; the stack and causes with --debug. Returns the exit code to end with.
 */
export function reportError(
  error: unknown,
  options: { json: boolean; argv: readonly string[]; commandId?: string },
): number {
  const formatted = formatError(error, options.commandId);
  if (options.json) process.stdout.write(`${JSON.stringify(formatted.json)}\n`);
  else process.stderr.write(`${styleFor(stderrView().color).red('Error:')} ${formatted.line}\n`);
  if (debugEnabled(options.argv)) process.stderr.write(`${printableLines(formatted.detail)}\n`);
  return formatted.exitCode;
}

export function debugEnabled(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes('--debug') || /(^|,)\s*sensorpipe(\*|:|,|$)/.test(env.DEBUG ?? '');
}
