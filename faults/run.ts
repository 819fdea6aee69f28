/**
 * `npm run faults`: the fault scenarios at larger counts, one row each. Exits 1 if any row lost an
 * event, counted one twice, or broke another rule.
 */
import { join } from 'node:path';
import Table from 'cli-table3';
import { ROOT } from '../testkit/paths.js';
import {
  clockJump,
  concurrency,
  concurrentDeploys,
  crash,
  destroyUnderStream,
  type FaultRow,
  killDuringDeploy,
  lambdaPath,
  passed,
  poison,
  producer,
  redelivery,
  signals,
  ttlEdge,
  ttlEdgeDynamo,
} from './scenarios.js';

const bin = join(ROOT, 'bin', 'run.js');
const bundle = join(ROOT, 'dist', 'lambdas', 'storing.js');
const scenarios: [string, () => Promise<FaultRow>][] = [
  ['poison', () => poison(10_000, 400)],
  ['redelivery', () => redelivery(10_000)],
  ['crash', () => crash(bin, 20)],
  ['concurrency', () => concurrency(bin, 5_000)],
  ['lambda path', () => lambdaPath({ bundle, good: 5_000, bad: 100, faultRate: 0.3 })],
  ['lambda redelivery', () => lambdaPath({ bundle, good: 5_000, bad: 0, faultRate: 0, deliveries: 3 })],
  ['signals', () => signals(bin, 6)],
  ['producer', () => producer(10_000, 0.2)],
  ['destroy under a live stream', () => destroyUnderStream(bin, 10)],
  ['concurrent deploys', () => concurrentDeploys(bin, 20)],
  ['kill during deploy', () => killDuringDeploy(bin, 30)],
  ["TTL at the window's edge", () => ttlEdge(2_000)],
  ["TTL at the window's edge (DynamoDB)", () => ttlEdgeDynamo(300)],
  ['clock jump', () => clockJump(10_000)],
];

const table = new Table({
  head: [
    'Scenario',
    'Target',
    'Accepted',
    'Stored (producer: in the queue)',
    'Lost',
    'Counted twice',
    'Dead letters',
    'Result',
  ],
  style: { head: [], border: [] },
});
let failures = 0;
for (const [name, run] of scenarios) {
  process.stdout.write(`  · ${name}...\n`);
  const row = await run();
  const ok = passed(row);
  if (!ok) failures++;
  const n = (v: number) => v.toLocaleString('en-US');
  table.push([
    row.scenario,
    { local: 'local', lambda: 'Lambda (dynalite, fauxqs)', sqs: 'SQS producer (fauxqs)' }[row.target],
    n(row.accepted),
    n(row.stored),
    n(row.lost),
    n(row.countedTwice),
    n(row.deadLetters),
    ok ? 'pass' : `FAIL${row.problems ? `: ${row.problems}` : ''}`,
  ]);
}
console.log(table.toString());
console.log(failures === 0 ? 'Every scenario: 0 lost, 0 counted twice.' : `${failures} scenarios failed.`);
process.exitCode = failures === 0 ? 0 : 1;
