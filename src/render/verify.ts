import Table from 'cli-table3';
import type { VerifyReport } from '../services/verify.js';

/** `statusCommand`: the status of the stack verify checked, when it stays (not a temporary one). */
export function renderVerify(report: VerifyReport, options: { statusCommand?: string } = {}): string {
  const table = new Table({
    head: ['County', 'Expected', 'Aggregated', 'Difference'],
    colAligns: ['left', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const c of report.counties) {
    table.push([
      c.county,
      c.expected,
      c.actual,
      c.difference === 0
        ? 'ok'
        : c.difference > 0
          ? `+${c.difference}${report.otherEvents > 0 ? ' other' : ''}`
          : c.difference,
    ]);
  }
  table.push([
    'Total',
    report.expectedTotal,
    report.actualTotal,
    report.actualTotal - report.expectedTotal || 'ok',
  ]);
  const verdict = report.match
    ? report.otherEvents > 0
      ? `PASS: all ${report.expectedTotal} events sent were stored once and counted, in ${report.counties.length} counties; ${report.otherEvents} other events were in the window.`
      : `PASS: all ${report.counties.length} counties match (${report.expectedTotal} events in the window).`
    : report.interrupted
      ? 'FAIL: interrupted before the check could complete.'
      : report.stored < report.sent
        ? `FAIL: ${report.sent - report.stored} of the ${report.sent} events sent were not stored in time${options.statusCommand ? ` (see ${options.statusCommand} for the queue and its dead letters)` : ''}.`
        : `FAIL: ${plural(report.counties.filter((c) => c.difference !== 0).length, 'county differs', 'counties differ')}${report.failed > 0 ? `, ${report.failed} events failed to send` : ''}.`;
  return [
    table.toString(),
    `Sent ${report.sent}, skipped ${report.skipped}, failed ${report.failed}, stored ${report.stored}. Window ${report.windowStart} to ${report.windowEnd}.`,
    verdict,
  ].join('\n');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
