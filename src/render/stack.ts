import Table from 'cli-table3';
import type { DeployResult, StackStatus } from '../targets/target.js';

const plain = { head: [], border: [] };

export function renderDeploy(result: DeployResult): string {
  const lines: string[] = [];
  if (result.action === 'unchanged') {
    lines.push(
      `No changes: stack "${result.stackName}" (${result.target}) is up to date at ${result.location}.`,
    );
  } else {
    lines.push(
      `${result.action === 'created' ? 'Created' : 'Updated'} stack "${result.stackName}" (${result.target}) at ${result.location}.`,
    );
    const table = new Table({ head: ['Parameter', 'Was', 'Now'], style: plain });
    for (const c of result.changes)
      table.push([c.parameter, c.from === null ? '-' : String(c.from), String(c.to)]);
    lines.push(table.toString());
  }
  return lines.join('\n');
}

export function renderStatus(status: StackStatus): string {
  if (!status.deployed) {
    return `Stack "${status.stackName}" is not deployed on the ${status.target} target (${status.location}).\nDeploy it with: sensorpipe deploy --target ${status.target} --stack-name ${status.stackName}`;
  }
  const table = new Table({ style: plain });
  const q = status.queue;
  const p = status.parameters;
  table.push(
    { Stack: `${status.stackName} (${status.target})` },
    { Location: status.location },
    { Created: status.createdAt ?? '-' },
    { Updated: status.updatedAt ?? '-' },
    { 'Queue: visible': String(q?.visible ?? '-') },
    { 'Queue: in flight': String(q?.inFlight ?? '-') },
    {
      'Dead letters': q
        ? `${q.deadLetters}${q.oldestDeadLetterAgeSeconds === null ? '' : ` (oldest sent ${q.oldestDeadLetterAgeSeconds}s ago)`}`
        : '-',
    },
    { 'Events stored': status.eventsStored === null ? '-' : status.eventsStored.toLocaleString('en-US') },
    { 'Last aggregation': status.lastAggregation ?? 'never' },
    {
      Schedule: p?.ScheduleEnabled
        ? `${p.ScheduleExpression}, next run ${status.nextScheduledRun ?? '-'} (while a stream runs)`
        : 'off',
    },
  );
  const params = new Table({ head: ['Parameter', 'Value'], style: plain });
  for (const [key, value] of Object.entries(p ?? {})) params.push([key, String(value)]);
  return `${table.toString()}\n${params.toString()}`;
}
