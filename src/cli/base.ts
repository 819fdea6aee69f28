import { Command, Flags, type Interfaces } from '@oclif/core';
import { CancelledError, InterruptedError } from '../core/errors.js';
import { printable } from '../render/printable.js';
import type { TerminalView } from '../render/terminal.js';
import { DEFAULT_DATA_DIR } from '../targets/index.js';
import type { Target, TargetKind } from '../targets/target.js';
import { reportError } from './errors.js';
import { guardOutput, outputClosed, stdoutView } from './output.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

/**
 * Flags and behaviour every command shares: JSON output, one-line errors, --debug, and the output
 * policy (src/cli/output.ts: a closed pipe ends the command quietly; src/render/terminal.ts: width
 * and colour).
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces and internal details.', helpGroup: 'GLOBAL' }),
  };

  override async init(): Promise<void> {
    guardOutput();
    await super.init();
  }

  /** How results may be drawn on stdout: its width (a terminal's) and whether colour is allowed. */
  protected get view(): TerminalView {
    return stdoutView();
  }

  /**
   * Prints what `draw` renders for stdout's view; with --json nothing is rendered at all (a table of
   * 100,000 counties is not drawn to be thrown away).
   */
  protected render(draw: (view: TerminalView) => string): void {
    if (!this.jsonEnabled()) this.log(draw(this.view));
  }

  /** One JSON document per line: easy for jq and for line-based readers (aggregate --watch). */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }

  protected override async catch(error: Error & { code?: string; oclif?: { exit?: number } }): Promise<void> {
    if (error.code === 'EEXIT' && error.oclif?.exit !== undefined) {
      process.exitCode = error.oclif.exit;
      return;
    }
    // The reader went away (| head) and the work stopped for it: a quiet end, like `yes | head`.
    if (outputClosed() && error instanceof InterruptedError) {
      process.exitCode = 0;
      return;
    }
    process.exitCode = reportError(error, { json: this.jsonEnabled(), argv: this.argv, commandId: this.id });
  }
}

/** A command that works on a pipeline stack, on either target. */
export abstract class PipelineCommand extends BaseCommand {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    target: Flags.option({
      options: ['local', 'aws'] as const,
      default: 'aws' as const,
      env: 'SENSORPIPE_TARGET',
      description: 'Where the pipeline runs: aws, or local (one SQLite file, no account needed).',
      helpGroup: 'GLOBAL',
    })(),
    'stack-name': Flags.string({
      default: 'sensorpipe',
      env: 'SENSORPIPE_STACK',
      description: 'Name of the stack (CloudFormation stack, or local database name).',
      helpGroup: 'GLOBAL',
    }),
    'data-dir': Flags.string({
      default: DEFAULT_DATA_DIR,
      env: 'SENSORPIPE_DATA_DIR',
      description: 'Directory of local stacks (--target local).',
      helpValue: 'DIR',
      helpGroup: 'GLOBAL',
    }),
    region: Flags.string({
      description: "AWS region (default: AWS_REGION, or your profile's region).",
      helpGroup: 'AWS',
    }),
    profile: Flags.string({
      description: 'AWS profile of ~/.aws/config (default: AWS_PROFILE, or the default chain).',
      helpGroup: 'AWS',
    }),
    'endpoint-url': Flags.string({
      description: 'One endpoint for every AWS service, e.g. LocalStack (default: AWS_ENDPOINT_URL).',
      helpGroup: 'AWS',
      helpValue: 'URL',
    }),
  };

  private openedTarget: Target | undefined;

  protected async openTarget(
    flags: {
      target: TargetKind;
      'stack-name': string;
      'data-dir': string;
      region?: string;
      profile?: string;
      'endpoint-url'?: string;
    },
    extra: { queueUrl?: string } = {},
  ): Promise<Target> {
    const { createTarget } = await import('../targets/index.js');
    this.openedTarget = await createTarget({
      target: flags.target,
      stackName: flags['stack-name'],
      dataDir: flags['data-dir'],
      aws: { region: flags.region, profile: flags.profile, endpointUrl: flags['endpoint-url'] },
      queueUrl: extra.queueUrl,
    });
    return this.openedTarget;
  }

  /**
   * A yes/no question on the terminal; undefined when there is none to ask on (or with --json).
   * Ctrl-C at the question cancels the command (CancelledError, exit 130: nothing was changed);
   * Ctrl-D, the end of the input, is no answer, so no.
   */
  protected confirmer(): ((question: string) => Promise<boolean>) | undefined {
    if (!process.stdin.isTTY || this.jsonEnabled()) return undefined;
    return async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      // The terminal is raw while readline reads: Ctrl-C reaches it as a key, not as a SIGINT.
      const cancel = new AbortController();
      rl.on('SIGINT', () => cancel.abort());
      try {
        return /^y(es)?$/i.test(
          (await rl.question(`${printable(question)} [y/N] `, { signal: cancel.signal })).trim(),
        );
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
        if (cancel.signal.aborted) throw new CancelledError();
        process.stderr.write('\n'); // readline ends the line after a Ctrl-C, not after a Ctrl-D
        return false;
      } finally {
        rl.close();
      }
    };
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await this.openedTarget?.close();
    await super.finally(error);
  }
}
