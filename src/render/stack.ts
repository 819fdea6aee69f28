import { storedEventNotes } from '../core/deploy.js';
import { notDeployedMessage, type StackRef, suggest } from '../targets/stack-ref.js';
import type {
  ClockError,
  DeployDetails,
  DeployResult,
  StackStatus,
  StatusDetails,
} from '../targets/target.js';
import { printable } from './printable.js';
import { renderTable } from './table.js';
import type { TerminalView } from './terminal.js';
import { formatTime } from './time.js';
import { wrap } from './width.js';

type View = Partial<TerminalView>;

/** Prose about a stack (its path or region come from flags and AWS), printable and wrapped. */
function prose(text: string, view: View): string[] {
  return wrap(printable(text), view.columns);
}

/** What each target adds to a deploy's report, drawn by that target's own renderer. */
const DEPLOY_DETAILS: {
  [K in DeployDetails['kind']]: (details: Extract<DeployDetails, { kind: K }>, view: View) => string[];
} = {
  local: (details) =>
    details.migratedFrom === null ? [] : [`Migrated the database from schema ${details.migratedFrom}.`],
  aws: (details, view) => {
    const blocks: string[] = [];
    if (details.resourceChanges.length > 0) {
      const rows = details.resourceChanges.map((c) => {
        const replace = c.action === 'Modify' && c.replacement && c.replacement !== 'False';
        return [c.logicalId, c.resourceType, replace ? `${c.action} (replace: ${c.replacement})` : c.action];
      });
      blocks.push(
        renderTable(
          [
            { header: 'Resource', truncate: 'start', min: 12 },
            { header: 'Type', truncate: 'start', min: 12 },
            { header: 'Change', truncate: 'start', min: 12 },
          ],
          rows,
          { width: view.columns },
        ),
      );
    }
    return [...blocks, ...outputsTable(details.outputs, view)];
  },
};

export function renderDeploy(result: DeployResult, view: View = {}): string {
  const where = `stack "${result.stackName}" (${result.target})`;
  if (result.action === 'unchanged') {
    return [
      ...prose(`No changes: ${where} is up to date at ${result.location}.`, view),
      ...renderDeployDetails(result.details, view),
    ].join('\n');
  }
  const lines = prose(
    `${result.action === 'created' ? 'Created' : 'Updated'} ${where} at ${result.location}.`,
    view,
  );
  if (result.changes.length > 0) {
    const rows = result.changes.map((c) => [
      c.parameter,
      c.from === null ? '-' : String(c.from),
      String(c.to),
    ]);
    lines.push(
      renderTable(
        [
          { header: 'Parameter', truncate: 'start', min: 16 },
          { header: 'Was', truncate: 'start', min: 8 },
          { header: 'Now', truncate: 'start', min: 8 },
        ],
        rows,
        { width: view.columns },
      ),
    );
  }
  for (const note of storedEventNotes(result.changes)) lines.push(...prose(note, view));
  lines.push(...renderDeployDetails(result.details, view));
  return lines.join('\n');
}

function renderDeployDetails(details: DeployDetails, view: View): string[] {
  return (DEPLOY_DETAILS[details.kind] as (d: DeployDetails, v: View) => string[])(details, view);
}

/** `Destroyed stack "x" (/path/x.sqlite).` */
export function renderDestroyed(result: { stackName: string; location: string }, view: View = {}): string {
  return prose(`Destroyed stack "${result.stackName}" (${result.location}).`, view).join('\n');
}

/** The rows each target adds to `status`, and how it names the schedule's runner. */
const STATUS_DETAILS: {
  [K in StatusDetails['kind']]: (
    details: Extract<StatusDetails, { kind: K }>,
    status: StackStatus,
    view: View,
  ) => {
    stack: string;
    schedule(expression: string): string;
    failedAggregations(count: number): string;
    blocks: string[];
  };
} = {
  local: (_details, status) => ({
    stack: `${status.stackName} (local)`,
    schedule: (expression) => `${expression}, while a stream runs`,
    failedAggregations: (count) => `${count} scheduled runs in the last 14 days`,
    blocks: [],
  }),
  aws: (details, status, view) => ({
    stack: `${status.stackName} (aws, ${details.region}): ${details.stackStatus}`,
    schedule: (expression) => `${expression} (EventBridge)`,
    failedAggregations: (count) =>
      `${count} (approx.) scheduled runs in the last 14 days, kept in AggregationFailureQueueUrl`,
    blocks: [...outputsTable(details.outputs, view), ...consoleLinkLines(details.console)],
  }),
};

/** The status; `ref` selects the same stack in the commands it suggests. */
export function renderStatus(status: StackStatus, ref: Pick<StackRef, 'selector'>, view: View = {}): string {
  if (!status.deployed || !status.details) {
    return [
      ...prose(
        `${notDeployedMessage({ stackName: status.stackName, kind: status.target, location: status.location })}.`,
        view,
      ),
      ...prose(`Deploy it with: ${suggest(ref, 'deploy')}`, view),
    ].join('\n');
  }
  const own = (
    STATUS_DETAILS[status.details.kind] as (
      d: StatusDetails,
      s: StackStatus,
      v: View,
    ) => ReturnType<(typeof STATUS_DETAILS)['local']>
  )(status.details, status, view);
  const q = status.queue;
  const p = status.parameters;
  const rows: [string, string][] = [
    ['Stack', own.stack],
    ['Location', status.location],
    ['Created', formatTime(status.createdAt, '-')],
    ['Updated', formatTime(status.updatedAt, '-')],
    [`Queue: visible${q?.approximate ? ' (approx.)' : ''}`, String(q?.visible ?? '-')],
    ['Queue: in flight', String(q?.inFlight ?? '-')],
    [
      'Dead letters',
      q
        ? `${q.deadLetters}${q.oldestDeadLetterAgeSeconds === null ? '' : ` (oldest sent ${q.oldestDeadLetterAgeSeconds}s ago)`}`
        : '-',
    ],
    ['Events stored', status.eventsStored === null ? '-' : status.eventsStored.toLocaleString('en-US')],
    ['Last aggregation', formatTime(status.lastAggregation, 'never')],
    ['Schedule', !p?.ScheduleEnabled ? 'off' : own.schedule(p.ScheduleExpression)],
  ];
  if (p?.ScheduleEnabled)
    rows.push(['Next run', formatTime(status.nextScheduledRun, 'none: the schedule never fires again')]);
  rows.push([
    'Failed aggregations',
    status.failedAggregations === null ? '-' : own.failedAggregations(status.failedAggregations),
  ]);
  const table = renderTable([{ header: '' }, { header: '', truncate: 'ends', min: 20 }], rows, {
    width: view.columns,
  });
  const params = renderTable(
    [{ header: 'Parameter' }, { header: 'Value', truncate: 'start', min: 12 }],
    Object.entries(p ?? {}).map(([key, value]) => [key, String(value)]),
    { width: view.columns },
  );
  const clock = status.clockErrors.flatMap((error) => prose(clockErrorLine(error), view));
  return [table, ...clock, params, ...own.blocks].join('\n');
}

const CLOCK_ERROR_SUBJECTS: Record<ClockError['subject'], [what: string, remedy: string]> = {
  lastAggregation: ['The last snapshot', 'the next aggregation replaces it'],
  scheduleSlot: ["The schedule's stored next run", 'the next stream recomputes it from now'],
};

/** One line per time found ahead of this machine's clock: what, how far, and what happens to it. */
export function clockErrorLine(error: ClockError): string {
  const [what, remedy] = CLOCK_ERROR_SUBJECTS[error.subject];
  return `Clock error: ${what} is dated ${formatTime(error.time)}, ${formatAhead(error.aheadSeconds)} ahead of this machine's clock (a clock that ran ahead wrote it); ${remedy}.`;
}

function formatAhead(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/**
 * The console links, one per line and never cut (a table would truncate or wrap them), so that a
 * terminal can open them.
 */
function consoleLinkLines(links: Record<string, string>): string[] {
  const names = Object.keys(links);
  if (names.length === 0) return [];
  const width = Math.max(...names.map((name) => name.length));
  return [
    ['AWS console:', ...names.map((name) => printable(`  ${name.padEnd(width)}  ${links[name]}`))].join('\n'),
  ];
}

function outputsTable(outputs: Record<string, string>, view: View): string[] {
  if (Object.keys(outputs).length === 0) return [];
  const rows = Object.entries(outputs).sort();
  return [
    renderTable(
      [
        { header: 'Output', truncate: 'start', min: 16 },
        { header: 'Value', truncate: 'ends', min: 20 },
      ],
      rows,
      { width: view.columns },
    ),
  ];
}
