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
    if (result.changes.length > 0) lines.push(table.toString());
    if (result.resourceChanges?.length) {
      const resources = new Table({ head: ['Resource', 'Type', 'Change'], style: plain });
      for (const c of result.resourceChanges) {
        const replace = c.action === 'Modify' && c.replacement && c.replacement !== 'False';
        resources.push([
          c.logicalId,
          c.resourceType,
          replace ? `${c.action} (replace: ${c.replacement})` : c.action,
        ]);
      }
      lines.push(resources.toString());
    }
  }
  if (result.outputs && Object.keys(result.outputs).length > 0) {
    const outputs = new Table({ head: ['Output', 'Value'], style: plain });
    for (const [key, value] of Object.entries(result.outputs).sort()) outputs.push([key, value]);
    lines.push(outputs.toString());
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
    { Stack: `${status.stackName} (${status.target})${status.stackStatus ? `: ${status.stackStatus}` : ''}` },
    { Location: status.location },
    { Created: status.createdAt ?? '-' },
    { Updated: status.updatedAt ?? '-' },
    { [`Queue: visible${status.target === 'aws' ? ' (approx.)' : ''}`]: String(q?.visible ?? '-') },
    { 'Queue: in flight': String(q?.inFlight ?? '-') },
    {
      'Dead letters': q
        ? `${q.deadLetters}${q.oldestDeadLetterAgeSeconds === null ? '' : ` (oldest sent ${q.oldestDeadLetterAgeSeconds}s ago)`}`
        : '-',
    },
    { 'Events stored': status.eventsStored === null ? '-' : status.eventsStored.toLocaleString('en-US') },
    { 'Last aggregation': status.lastAggregation ?? 'never' },
    {
      Schedule: !p?.ScheduleEnabled
        ? 'off'
        : status.target === 'aws'
          ? `${p.ScheduleExpression} (EventBridge)`
          : `${p.ScheduleExpression}, next run ${status.nextScheduledRun ?? '-'} (while a stream runs)`,
    },
  );
  const params = new Table({ head: ['Parameter', 'Value'], style: plain });
  for (const [key, value] of Object.entries(p ?? {})) params.push([key, String(value)]);
  const blocks = [table.toString(), params.toString()];
  if (status.outputs && Object.keys(status.outputs).length > 0) {
    const outputs = new Table({ head: ['Output', 'Value'], style: plain });
    for (const [key, value] of Object.entries(status.outputs).sort()) outputs.push([key, value]);
    blocks.push(outputs.toString());
  }
  return blocks.join('\n');
}
