import Table from 'cli-table3';
import { notDeployedMessage, type StackRef, suggest } from '../targets/stack-ref.js';
import type { DeployDetails, DeployResult, StackStatus, StatusDetails } from '../targets/target.js';

const plain = { head: [], border: [] };

/** What each target adds to a deploy's report, drawn by that target's own renderer. */
const DEPLOY_DETAILS: {
  [K in DeployDetails['kind']]: (details: Extract<DeployDetails, { kind: K }>) => string[];
} = {
  local: (details) =>
    details.migratedFrom === null ? [] : [`Migrated the database from schema ${details.migratedFrom}.`],
  aws: (details) => {
    const blocks: string[] = [];
    if (details.resourceChanges.length > 0) {
      const resources = new Table({ head: ['Resource', 'Type', 'Change'], style: plain });
      for (const c of details.resourceChanges) {
        const replace = c.action === 'Modify' && c.replacement && c.replacement !== 'False';
        resources.push([
          c.logicalId,
          c.resourceType,
          replace ? `${c.action} (replace: ${c.replacement})` : c.action,
        ]);
      }
      blocks.push(resources.toString());
    }
    return [...blocks, ...outputsTable(details.outputs)];
  },
};

export function renderDeploy(result: DeployResult): string {
  const where = `stack "${result.stackName}" (${result.target})`;
  if (result.action === 'unchanged') {
    return [
      `No changes: ${where} is up to date at ${result.location}.`,
      ...renderDeployDetails(result.details),
    ].join('\n');
  }
  const lines = [`${result.action === 'created' ? 'Created' : 'Updated'} ${where} at ${result.location}.`];
  if (result.changes.length > 0) {
    const table = new Table({ head: ['Parameter', 'Was', 'Now'], style: plain });
    for (const c of result.changes)
      table.push([c.parameter, c.from === null ? '-' : String(c.from), String(c.to)]);
    lines.push(table.toString());
  }
  lines.push(...renderDeployDetails(result.details));
  return lines.join('\n');
}

function renderDeployDetails(details: DeployDetails): string[] {
  return (DEPLOY_DETAILS[details.kind] as (d: DeployDetails) => string[])(details);
}

/** The rows each target adds to `status`, and how it names the schedule's runner. */
const STATUS_DETAILS: {
  [K in StatusDetails['kind']]: (
    details: Extract<StatusDetails, { kind: K }>,
    status: StackStatus,
  ) => {
    stack: string;
    schedule(expression: string): string;
    failedAggregations(count: number): string;
    blocks: string[];
  };
} = {
  local: (_details, status) => ({
    stack: `${status.stackName} (local)`,
    schedule: (expression) =>
      `${expression}, next run ${status.nextScheduledRun ?? '-'} (while a stream runs)`,
    failedAggregations: (count) => `${count} scheduled runs in the last 14 days`,
    blocks: [],
  }),
  aws: (details, status) => ({
    stack: `${status.stackName} (aws, ${details.region}): ${details.stackStatus}`,
    schedule: (expression) => `${expression} (EventBridge)`,
    failedAggregations: (count) =>
      `${count} (approx.) scheduled runs in the last 14 days, kept in AggregationFailureQueueUrl`,
    blocks: [...outputsTable(details.outputs), ...consoleLinkLines(details.console)],
  }),
};

/** The status; `ref` selects the same stack in the commands it suggests. */
export function renderStatus(status: StackStatus, ref: Pick<StackRef, 'selector'>): string {
  if (!status.deployed || !status.details) {
    return `${notDeployedMessage({ stackName: status.stackName, kind: status.target, location: status.location })}.\nDeploy it with: ${suggest(ref, 'deploy')}`;
  }
  const own = (
    STATUS_DETAILS[status.details.kind] as (
      d: StatusDetails,
      s: StackStatus,
    ) => ReturnType<(typeof STATUS_DETAILS)['local']>
  )(status.details, status);
  const table = new Table({ style: plain });
  const q = status.queue;
  const p = status.parameters;
  table.push(
    { Stack: own.stack },
    { Location: status.location },
    { Created: status.createdAt ?? '-' },
    { Updated: status.updatedAt ?? '-' },
    { [`Queue: visible${q?.approximate ? ' (approx.)' : ''}`]: String(q?.visible ?? '-') },
    { 'Queue: in flight': String(q?.inFlight ?? '-') },
    {
      'Dead letters': q
        ? `${q.deadLetters}${q.oldestDeadLetterAgeSeconds === null ? '' : ` (oldest sent ${q.oldestDeadLetterAgeSeconds}s ago)`}`
        : '-',
    },
    { 'Events stored': status.eventsStored === null ? '-' : status.eventsStored.toLocaleString('en-US') },
    { 'Last aggregation': status.lastAggregation ?? 'never' },
    { Schedule: !p?.ScheduleEnabled ? 'off' : own.schedule(p.ScheduleExpression) },
    {
      'Failed aggregations':
        status.failedAggregations === null ? '-' : own.failedAggregations(status.failedAggregations),
    },
  );
  const params = new Table({ head: ['Parameter', 'Value'], style: plain });
  for (const [key, value] of Object.entries(p ?? {})) params.push([key, String(value)]);
  return [table.toString(), params.toString(), ...own.blocks].join('\n');
}

/**
 * The console links, one per line and never cut (a table would truncate or wrap them), so that a
 * terminal can open them.
 */
function consoleLinkLines(links: Record<string, string>): string[] {
  const names = Object.keys(links);
  if (names.length === 0) return [];
  const width = Math.max(...names.map((name) => name.length));
  // SAFE-TEXT: the links hold names from the stack's outputs (URL-encoded, so printable as they are).
  return [['AWS console:', ...names.map((name) => `  ${name.padEnd(width)}  ${links[name]}`)].join('\n')];
}

function outputsTable(outputs: Record<string, string>): string[] {
  if (Object.keys(outputs).length === 0) return [];
  const table = new Table({ head: ['Output', 'Value'], style: plain });
  for (const [key, value] of Object.entries(outputs).sort()) table.push([key, value]);
  return [table.toString()];
}
