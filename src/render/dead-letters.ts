import type { DeadLetterView } from '../targets/target.js';
import { renderTable } from './table.js';
import type { TerminalView } from './terminal.js';
import { formatTime } from './time.js';

/** Characters of a body shown in the table; --json has the first 200. */
const BODY_SHOWN = 80;

/**
 * id, receive count, sent, first line of the error, body truncated: one row per dead letter. On a
 * narrow terminal the error and body are cut first, then Sent and Receives are left out.
 */
export function renderDeadLetters(
  letters: readonly DeadLetterView[],
  stackName: string,
  view: Partial<TerminalView> = {},
): string {
  if (letters.length === 0) return `No dead letters on stack "${stackName}".`;
  const rows = letters.map((d) => {
    const body = d.body.replace(/\s+/g, ' ');
    return [
      d.messageId,
      String(d.receiveCount),
      formatTime(d.sentAt, '-'),
      d.error?.split('\n')[0] ?? '-',
      body.slice(0, BODY_SHOWN) + (body.length > BODY_SHOWN || d.bodyTruncated ? '…' : ''),
    ];
  });
  return renderTable(
    [
      { header: 'Message', truncate: 'ends', min: 10, max: 36 },
      { header: 'Receives', align: 'right', optional: 1 },
      { header: 'Sent', optional: 2 },
      { header: 'Error', truncate: 'start', min: 12, max: 60 },
      { header: 'Body', truncate: 'start', min: 12 },
    ],
    rows,
    { width: view.columns },
  );
}
