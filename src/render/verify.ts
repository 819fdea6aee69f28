import type { VerifyReport } from '../services/verify.js';
import { MAX_TABLE_ROWS } from './snapshot.js';
import { styleFor } from './style.js';
import { renderTable } from './table.js';
import type { TerminalView } from './terminal.js';
import { formatTime } from './time.js';
import { wrap } from './width.js';

/** `statusCommand`: the status of the stack verify checked, when it stays (not a temporary one). */
export function renderVerify(
  report: VerifyReport,
  view: Partial<TerminalView> = {},
  options: { statusCommand?: string } = {},
): string {
  const style = styleFor(view.color ?? false);
  const difference = (d: number) =>
    d === 0 ? 'ok' : d > 0 ? `+${d}${report.otherEvents > 0 ? ' other' : ''}` : String(d);
  // With more counties than a table shows, the ones that differ come first: they are the news.
  let counties = report.counties;
  let folded = 0;
  if (counties.length > MAX_TABLE_ROWS) {
    const differ = counties.filter((c) => c.difference !== 0);
    counties = [...differ, ...counties.filter((c) => c.difference === 0)].slice(0, MAX_TABLE_ROWS - 1);
    folded = report.counties.length - counties.length;
  }
  const rows = counties.map((c) => [
    c.county,
    String(c.expected),
    String(c.actual),
    difference(c.difference),
  ]);
  if (folded > 0) {
    const kept = new Set(counties);
    const rest = report.counties.filter((c) => !kept.has(c));
    const differing = rest.filter((c) => c.difference !== 0).length;
    rows.push([
      `(${folded.toLocaleString('en-US')} more counties)`,
      String(rest.reduce((sum, c) => sum + c.expected, 0)),
      String(rest.reduce((sum, c) => sum + c.actual, 0)),
      differing === 0 ? 'ok' : `${differing} differ`,
    ]);
  }
  const table = renderTable(
    [
      { header: 'County', truncate: 'start', min: 12 },
      { header: 'Expected', align: 'right' },
      { header: 'Aggregated', align: 'right' },
      {
        header: 'Difference',
        align: 'right',
        style: (cell, row) => (rows[row]?.[3] === 'ok' || row >= counties.length ? cell : style.red(cell)),
      },
    ],
    rows,
    {
      width: view.columns,
      footer: [
        [
          'Total',
          String(report.expectedTotal),
          String(report.actualTotal),
          difference(report.actualTotal - report.expectedTotal).replace(' other', ''),
        ],
      ],
    },
  );
  const [word, rest] = report.match
    ? [
        'PASS',
        report.otherEvents > 0
          ? `: all ${report.expectedTotal} events sent were stored once and counted, in ${report.counties.length} counties; ${report.otherEvents} other events were in the window.`
          : `: all ${report.counties.length} counties match (${report.expectedTotal} events in the window).`,
      ]
    : [
        'FAIL',
        report.interrupted
          ? ': interrupted before the check could complete.'
          : report.stored < report.sent
            ? `: ${report.sent - report.stored} of the ${report.sent} events sent were not stored in time${options.statusCommand ? ` (see ${options.statusCommand} for the queue and its dead letters)` : ''}.`
            : `: ${plural(report.counties.filter((c) => c.difference !== 0).length, 'county differs', 'counties differ')}${report.failed > 0 ? `, ${report.failed} events failed to send` : ''}.`,
      ];
  // Wrapped as plain text; the colour goes around the first word afterwards (it takes no columns).
  const verdict = wrap(`${word}${rest}`, view.columns);
  verdict[0] = (report.match ? style.green : style.red)(word) + verdict[0]!.slice(word.length);
  return [
    table,
    ...wrap(
      `Sent ${report.sent}, skipped ${report.skipped}, failed ${report.failed}, stored ${report.stored}. Window ${formatTime(report.windowStart)} to ${formatTime(report.windowEnd)}.`,
      view.columns,
    ),
    ...verdict,
  ].join('\n');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
