import type { StackProgress } from '../targets/target.js';
import { isLiveTerminal } from './terminal.js';

export interface StackActivityPrinter {
  onProgress(progress: StackProgress): void;
  stop(): void;
}

/** "[3/6] EventsTable (AWS::DynamoDB::Table) CREATE_COMPLETE", with the reason of a failure. */
export function formatStackEvent({ done, total, event }: StackProgress): string {
  const reason = event.reason && /FAILED|ROLLBACK/.test(event.status) ? `: ${event.reason}` : '';
  return `[${done}/${total}] ${event.logicalId} (${event.resourceType}) ${event.status}${reason}`;
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
  if (live) {
    const { default: ora } = await import('ora');
    const spinner = ora({ stream, text: `${verb}...`, discardStdin: false }).start();
    return {
      onProgress(progress) {
        if (progress.event.status.endsWith('FAILED')) {
          spinner.clear();
          stream.write(`${formatStackEvent(progress)}\n`);
        }
        spinner.text = `${verb}: ${formatStackEvent(progress)}`;
      },
      stop() {
        spinner.stop();
      },
    };
  }
  stream.write(`${verb}...\n`);
  return {
    onProgress(progress) {
      stream.write(`  ${formatStackEvent(progress)}\n`);
    },
    stop() {},
  };
}
