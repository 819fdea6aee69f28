/**
 * A separate process that runs one aggregation on a local stack as if the time were `now`, for the
 * tests of concurrent aggregations: each process has its own connection, as `sensorpipe aggregate`
 * and a stream's scheduled run do.
 * Usage: node --import tsx local-aggregation.ts <data dir> <stack> <now ms> <delay ms> <ready file> <go file>
 * It creates the ready file once the stack is open, waits for the go file, waits `delay` more (so
 * a test can choose the order the runs write in), aggregates, and prints the snapshot as JSON.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../src/core/clock.js';
import { LocalTarget } from '../src/targets/local/local-target.js';

const [dataDir = '', stackName = '', nowText = '0', delayText = '0', readyFile = '', goFile = ''] =
  process.argv.slice(2);
const now = Number(nowText);
const target = new LocalTarget({ dataDir, stackName, clock: { now: () => now, sleep: systemClock.sleep } });
await target.ensureDeployed();
writeFileSync(readyFile, '');
const deadline = Date.now() + 30_000;
while (!existsSync(goFile) && Date.now() < deadline) await sleep(1);
await sleep(Number(delayText));
const snapshot = await target.aggregate();
await target.close();
process.stdout.write(JSON.stringify(snapshot));
