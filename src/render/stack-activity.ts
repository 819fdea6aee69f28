import type { StackProgress } from '../targets/target.js';
import { printable } from './printable.js';
import { styleFor } from './style.js';
import { colorEnabled, isLiveTerminal, terminalColumns } from './terminal.js';
import { truncate } from './width.js';

export interface StackActivityPrinter {
  onProgress(progress: StackProgress): void;
  stop(): void;
}

/**
 * "[3/6] EventsTable (AWS::DynamoDB::Table) CREATE_COMPLETE", with the reason of a failure; what AWS
 * sent is made printable.
 */
export function formatStackEvent({ done, total, event }: StackProgress): string {
  const reason = event.reason && /FAILED|ROLLBACK/.test(event.status) ? `: ${event.reason}` : '';
  return printable(`[${done}/${total}] ${event.logicalId} (${event.resourceType}) ${event.status}${reason}`);
}

/**
 * CloudFormation activity on stderr: on a TTY, a spinner line with resources done / total and the
 * latest event, failures kept above it; when not a TTY or in CI, one plain line per event, so CI
 * logs read as a history and never garble.
 */
export async function createStackActivity(
  verb: string,
  stream: NodeJS.WriteStream = process.stderr,
  live = isLiveTerminal(stream),
): Promise<StackActivityPrinter> {
  const { red } = styleFor(colorEnabled(stream));
  const failed = (progress: StackProgress) => /FAILED/.test(progress.event.status);
  if (live) {
    const { default: ora } = await import('ora');
    // isLiveTerminal decided; ora's own check (which reads CI, TERM) must not decide again.
    const spinner = ora({ stream, text: `${verb}...`, discardStdin: false, isEnabled: true }).start();
    return {
      onProgress(progress) {
        if (progress.event.status.endsWith('FAILED')) {
          spinner.clear();
          stream.write(`${red(formatStackEvent(progress))}\n`);
        }
        // One line that fits: a wrapped spinner line is redrawn as garbage.
        const columns = terminalColumns(stream);
        const text = `${verb}: ${formatStackEvent(progress)}`;
        spinner.text = columns === undefined ? text : truncate(text, columns - 3);
      },
      stop() {
        spinner.stop();
      },
    };
  }
  stream.write(`${verb}...\n`);
  return {
    onProgress(progress) {
      const line = formatStackEvent(progress);
      stream.write(`  ${failed(progress) ? red(line) : line}\n`);
    },
    stop() {},
  };
}
