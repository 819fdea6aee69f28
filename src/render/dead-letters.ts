import Table from 'cli-table3';
import type { DeadLetterView } from '../targets/target.js';

/** id, receive count, first line of the error, body truncated: one row per dead letter. */
export function renderDeadLetters(letters: readonly DeadLetterView[], stackName: string): string {
  if (letters.length === 0) return `No dead letters on stack "${stackName}".`;
  const table = new Table({
    head: ['Message', 'Receives', 'Sent', 'Error', 'Body'],
    style: { head: [], border: [] },
    colWidths: [14, 10, 22, 34, 44],
    wordWrap: true,
  });
  for (const d of letters) {
    table.push([
      d.messageId,
      String(d.receiveCount),
      d.sentAt?.replace('T', ' ').replace(/\.\d+Z$/, 'Z') ?? '-',
      d.error?.split('\n')[0] ?? '-',
      d.body.replace(/\s+/g, ' ').slice(0, 80) + (d.body.length > 80 || d.bodyTruncated ? '…' : ''),
    ]);
  }
  return table.toString();
}
