/**
 * A separate consumer process for the queue tests: opens the stack database on its own connection
 * and receives until the queue has nothing visible, then prints the message ids it got as JSON.
 * Usage: node --import tsx queue-consumer.ts <db file> <now ms> <max messages> <ready file> <go file>
 * It creates the ready file once connected and starts receiving when the go file appears, so that
 * several consumers really receive at the same time.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { openExisting } from '../src/targets/local/database.js';
import { LocalQueue } from '../src/targets/local/queue.js';

const [file = '', nowText = '0', maxText = '1', readyFile = '', goFile = ''] = process.argv.slice(2);
const db = openExisting(file, 'consumer');
const queue = new LocalQueue(db);
writeFileSync(readyFile, '');
const deadline = Date.now() + 30_000;
while (!existsSync(goFile) && Date.now() < deadline) {
  // spin until the parent starts everyone together
}
const pause = new Int32Array(new SharedArrayBuffer(4));
const received: string[] = [];
for (;;) {
  const batch = db
    .transaction(() =>
      queue.receive({
        now: Number(nowText),
        maxMessages: Number(maxText),
        visibilityTimeoutMs: 3_600_000,
        maxReceiveCount: 5,
        batchingWindowMs: 0,
      }),
    )
    .immediate();
  if (batch.length === 0 || received.length > 100_000) break;
  for (const m of batch) received.push(m.messageId);
  // A moment of "processing" between receives, as a real consumer has; otherwise one process can
  // win every lock while the others back off in SQLite's busy handler.
  Atomics.wait(pause, 0, 0, 1);
}
db.close();
process.stdout.write(JSON.stringify(received));
