import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { openExisting } from '../../../src/targets/local/database.js';
import type { LocalQueue, ReceivedMessage, ReceiveOptions } from '../../../src/targets/local/queue.js';
import {
  connectTo,
  type FakeClock,
  fakeClock,
  type LocalStack,
  makeTempDir,
  openStack,
  removeTempDir,
} from '../../../testkit/local.js';

const VISIBILITY_MS = 30_000;
const run = promisify(execFile);

const DEFAULTS: Omit<ReceiveOptions, 'now'> = {
  maxMessages: 10,
  visibilityTimeoutMs: VISIBILITY_MS,
  maxReceiveCount: 5,
  batchingWindowMs: 0,
};

function bodiesOf(messages: ReceivedMessage[]): string[] {
  return messages.map((m) => m.body).sort();
}

function rowCount(stack: LocalStack, table: string): number {
  return stack.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
}

describe('local queue', () => {
  let dir: string;
  let clock: FakeClock;
  let stack: LocalStack;
  let queue: LocalQueue;
  const others: LocalStack[] = [];

  function receive(options: Partial<ReceiveOptions> = {}, on: LocalStack = stack): ReceivedMessage[] {
    return on.tx(() => on.queue.receive({ ...DEFAULTS, now: clock.now(), ...options }));
  }

  function send(...bodies: string[]): string[] {
    return stack.tx(() => queue.send(bodies, clock.now()));
  }

  beforeEach(() => {
    dir = makeTempDir();
    clock = fakeClock();
    stack = openStack(dir);
    queue = stack.queue;
  });

  afterEach(() => {
    for (const other of others.splice(0)) other.db.close();
    stack.db.close();
    removeTempDir(dir);
  });

  describe('receive', () => {
    it('returns at most maxMessages, and every message exactly once while they are invisible', () => {
      const ids = send('a', 'b', 'c', 'd', 'e');
      expect(new Set(ids).size).to.equal(5);

      const first = receive({ maxMessages: 3 });
      expect(first).to.have.length(3);
      const second = receive({ maxMessages: 3 });
      expect(second).to.have.length(2);
      expect(receive({ maxMessages: 3 })).to.deep.equal([]);

      const all = [...first, ...second];
      expect(bodiesOf(all)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(all.map((m) => m.messageId).sort()).to.deep.equal([...ids].sort());
      for (const m of all) {
        expect(m.receiveCount).to.equal(1);
        expect(m.sentAt).to.equal(clock.now());
      }
    });

    it('returns from send the id of each body, in order, for sends of any size', () => {
      const sent = new Map<string, string>();
      for (const n of [1, 250, 99]) {
        const bodies = Array.from({ length: n }, (_, i) => `${n}:${i}`);
        for (const [i, id] of send(...bodies).entries()) sent.set(id, bodies[i] as string);
      }
      expect(sent.size).to.equal(350);
      const received = receive({ maxMessages: 1000 });
      expect(new Map(received.map((m) => [m.messageId, m.body]))).to.deep.equal(sent);
    });

    it('returns nothing from an empty queue', () => {
      expect(receive()).to.deep.equal([]);
      expect(receive({ immediate: true })).to.deep.equal([]);
      expect(receive({ batchingWindowMs: 1000 })).to.deep.equal([]);
    });

    it('hides a received message until its visibility timeout, then redelivers it with receiveCount + 1', () => {
      const [id] = send('payload');
      const sentAt = clock.now();
      const [first] = receive();
      expect(first).to.include({ messageId: id, body: 'payload', receiveCount: 1, sentAt });

      clock.advance(VISIBILITY_MS - 1);
      expect(receive()).to.deep.equal([]);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 1 });

      clock.advance(1);
      expect(queue.depths(clock.now())).to.include({ visible: 1, inFlight: 0 });
      const [second] = receive();
      expect(second).to.include({ messageId: id, body: 'payload', receiveCount: 2, sentAt });
      expect(second?.receipt).to.not.equal(first?.receipt);

      clock.advance(VISIBILITY_MS);
      expect(receive()[0]?.receiveCount).to.equal(3);
    });

    it('applies the visibility timeout of each receive', () => {
      send('payload');
      receive({ visibilityTimeoutMs: 5_000 });
      clock.advance(5_000);
      expect(receive({ visibilityTimeoutMs: 60_000 })).to.have.length(1);
      clock.advance(59_999);
      expect(receive()).to.deep.equal([]);
      clock.advance(1);
      expect(receive()).to.have.length(1);
    });
  });

  describe('transactions', () => {
    it("runs its writes inside the caller's transaction, and refuses to run outside one", () => {
      const outside = /runs inside the caller's transaction; none is open/;
      expect(() => queue.send(['a'], clock.now())).to.throw(outside);
      expect(() => queue.receive({ ...DEFAULTS, now: clock.now() })).to.throw(outside);
      expect(() => queue.delete([{ messageId: '1', receipt: 'r' }])).to.throw(outside);
      expect(() => queue.expire(clock.now(), 1000)).to.throw(outside);
      expect(() => queue.redrive(clock.now())).to.throw(outside);
      expect(rowCount(stack, 'queue')).to.equal(0);
      // A caller's rollback takes back what the queue did in its transaction.
      expect(() =>
        stack.tx(() => {
          queue.send(['a'], clock.now());
          throw new Error('caller failed');
        }),
      ).to.throw('caller failed');
      expect(queue.depths(clock.now())).to.include({ visible: 0 });
    });
  });

  describe('delete', () => {
    it('removes a message with the receipt of its latest receive', () => {
      send('a', 'b');
      const messages = receive();
      expect(stack.tx(() => queue.delete(messages))).to.equal(2);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0, deadLetters: 0 });
      clock.advance(VISIBILITY_MS * 10);
      expect(receive()).to.deep.equal([]);
      expect(rowCount(stack, 'queue')).to.equal(0);
    });

    it('deletes a whole batch without touching messages received before or sent after it', () => {
      send('old');
      const [old] = receive({ maxMessages: 1 });
      send('a', 'b', 'c');
      const batch = receive();
      send('later');
      expect(bodiesOf(batch)).to.deep.equal(['a', 'b', 'c']);

      expect(stack.tx(() => queue.delete(batch))).to.equal(3);
      expect(queue.depths(clock.now())).to.include({ visible: 1, inFlight: 1 });
      expect(bodiesOf(receive())).to.deep.equal(['later']);
      clock.advance(VISIBILITY_MS);
      const redelivered = receive().map((m) => [m.messageId, m.body, m.receiveCount]);
      expect(redelivered).to.deep.include([old?.messageId, 'old', 2]);
      expect(redelivered.map(([, body]) => body).sort()).to.deep.equal(['later', 'old']);
    });

    it('keeps the rest of a partly deleted batch in flight, then redelivers only that', () => {
      // GIVEN a batch of four where two are deleted (a partial batch failure)
      send('a', 'b', 'c', 'd');
      const batch = receive();
      const [a, b, c, d] = batch.sort((x, y) => x.body.localeCompare(y.body));
      expect(stack.tx(() => queue.delete([a!, c!]))).to.equal(2);
      // THEN the other two stay in flight until the visibility timeout
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 2 });
      clock.advance(VISIBILITY_MS - 1);
      expect(receive()).to.deep.equal([]);
      // AND then come back, received a second time, and only they
      clock.advance(1);
      const again = receive();
      expect(again.map((m) => [m.body, m.receiveCount])).to.deep.equal([
        ['b', 2],
        ['d', 2],
      ]);
      // AND the first receipt can no longer delete them
      expect(stack.tx(() => queue.delete([b!, d!]))).to.equal(0);
      expect(stack.tx(() => queue.delete(again))).to.equal(2);
      expect(rowCount(stack, 'queue')).to.equal(0);
    });

    it('deletes a batch late with its receipt if nobody received it since, as SQS does', () => {
      send('a', 'b');
      const batch = receive();
      clock.advance(VISIBILITY_MS * 2);
      expect(queue.depths(clock.now())).to.include({ visible: 2, inFlight: 0 });
      expect(stack.tx(() => queue.delete(batch))).to.equal(2);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0 });
    });

    it('deletes nothing with a stale receipt (the message was received again since)', () => {
      send('a');
      const [stale] = receive();
      clock.advance(VISIBILITY_MS);
      const [latest] = receive();
      expect(latest?.messageId).to.equal(stale?.messageId);

      expect(stack.tx(() => queue.delete([stale!]))).to.equal(0);
      expect(queue.depths(clock.now())).to.include({ inFlight: 1 });
      clock.advance(VISIBILITY_MS);
      // Still there: it comes back once more.
      const [third] = receive();
      expect(third?.receiveCount).to.equal(3);

      expect(stack.tx(() => queue.delete([latest!]))).to.equal(0); // stale now too
      expect(stack.tx(() => queue.delete([third!]))).to.equal(1);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0 });
      clock.advance(VISIBILITY_MS);
      expect(receive()).to.deep.equal([]);
    });

    it('deletes a message only once, and deletes nothing for unknown ids', () => {
      send('a');
      const messages = receive();
      expect(stack.tx(() => queue.delete(messages))).to.equal(1);
      expect(stack.tx(() => queue.delete(messages))).to.equal(0);
      expect(stack.tx(() => queue.delete([{ messageId: '999', receipt: 'nope' }]))).to.equal(0);
      expect(stack.tx(() => queue.delete([]))).to.equal(0);
    });

    it('deletes the messages acknowledged on the next receive', () => {
      send('a', 'b');
      const first = receive();
      send('c');
      const next = receive({ acknowledge: first });
      expect(bodiesOf(next)).to.deep.equal(['c']);
      clock.advance(VISIBILITY_MS);
      // a and b were deleted; c was not acknowledged, so it comes back.
      const again = receive();
      expect(bodiesOf(again)).to.deep.equal(['c']);
      expect(again[0]?.receiveCount).to.equal(2);
    });

    it('acknowledges even when the receive itself returns nothing (batching window)', () => {
      send('a');
      const first = receive();
      send('b');
      expect(receive({ acknowledge: first, batchingWindowMs: 1_000 })).to.deep.equal([]);
      expect(queue.depths(clock.now())).to.include({ visible: 1, inFlight: 0 });
    });

    it('ignores a stale receipt passed as acknowledge', () => {
      send('a');
      const [stale] = receive();
      clock.advance(VISIBILITY_MS);
      receive();
      clock.advance(VISIBILITY_MS);
      const third = receive({ acknowledge: [stale!] });
      expect(third).to.have.length(1);
      expect(third[0]?.receiveCount).to.equal(3);
    });
  });

  describe('dead letters', () => {
    it('moves a message received MaxReceiveCount times to dead_letters on the next receive, with its last error', () => {
      const [id] = send('poison');
      const sentAt = clock.now();
      for (let n = 1; n <= 3; n++) {
        const messages = receive({ maxReceiveCount: 3 });
        expect(messages).to.have.length(1);
        expect(messages[0]?.receiveCount).to.equal(n);
        stack.tx(() => queue.recordFailures([{ message: messages[0]!, error: `boom ${n}` }]));
        clock.advance(VISIBILITY_MS);
      }
      expect(queue.depths(clock.now())).to.include({ visible: 1, deadLetters: 0 });

      // Not delivered a 4th time.
      expect(receive({ maxReceiveCount: 3 })).to.deep.equal([]);
      const depths = queue.depths(clock.now());
      expect(depths).to.deep.equal({
        visible: 0,
        inFlight: 0,
        deadLetters: 1,
        oldestDeadLetterSentAt: sentAt,
      });
      expect(queue.deadLetters(10)).to.deep.equal([
        { messageId: id, body: 'poison', sentAt, deadAt: clock.now(), receiveCount: 3, lastError: 'boom 3' },
      ]);

      clock.advance(VISIBILITY_MS * 10);
      expect(receive({ maxReceiveCount: 3 })).to.deep.equal([]);
      expect(queue.deadLetters(10)).to.have.length(1);
    });

    it('redrives dead letters, oldest first and up to a limit, as new messages received afresh', () => {
      // GIVEN three dead letters
      send('a', 'b', 'c');
      receive({ maxReceiveCount: 1 });
      clock.advance(VISIBILITY_MS);
      receive({ maxReceiveCount: 1 });
      expect(queue.deadLetters(10).map((d) => d.body)).to.deep.equal(['a', 'b', 'c']);
      // WHEN two are redriven THEN they are visible again with a fresh receive count, the third stays
      expect(stack.tx(() => queue.redrive(clock.now(), 2))).to.equal(2);
      expect(queue.depths(clock.now())).to.include({ visible: 2, deadLetters: 1 });
      const again = receive();
      expect(again.map((m) => [m.body, m.receiveCount])).to.deep.equal([
        ['a', 1],
        ['b', 1],
      ]);
      expect(stack.tx(() => queue.delete(again))).to.equal(2);
      expect(stack.tx(() => queue.redrive(clock.now()))).to.equal(1);
      expect(stack.tx(() => queue.redrive(clock.now()))).to.equal(0);
      expect(bodiesOf(receive())).to.deep.equal(['c']);
    });

    it('dead-letters a message with no recorded error too', () => {
      send('x');
      receive({ maxReceiveCount: 1 });
      clock.advance(VISIBILITY_MS);
      expect(receive({ maxReceiveCount: 1 })).to.deep.equal([]);
      const [dead] = queue.deadLetters(10);
      expect(dead).to.include({ body: 'x', receiveCount: 1 });
      expect(dead?.lastError).to.equal(undefined);
    });

    it('keeps the error recorded with the latest receipt, not one recorded with a stale receipt', () => {
      send('poison');
      const [first] = receive({ maxReceiveCount: 2 });
      clock.advance(VISIBILITY_MS);
      const [second] = receive({ maxReceiveCount: 2 });
      stack.tx(() => queue.recordFailures([{ message: second!, error: 'latest' }]));
      stack.tx(() => queue.recordFailures([{ message: first!, error: 'stale' }]));
      clock.advance(VISIBILITY_MS);
      receive({ maxReceiveCount: 2 });
      expect(queue.deadLetters(10)[0]?.lastError).to.equal('latest');
    });

    it('still delivers the other visible messages on a receive that dead-letters some', () => {
      // a and b reach MaxReceiveCount (2); c, sent later, has been received once.
      send('a', 'b');
      receive({ maxReceiveCount: 2, maxMessages: 2 });
      clock.advance(VISIBILITY_MS);
      expect(receive({ maxReceiveCount: 2, maxMessages: 2 })).to.have.length(2);
      clock.advance(1);
      send('c');
      expect(bodiesOf(receive({ maxReceiveCount: 2, maxMessages: 2 }))).to.deep.equal(['c']);
      clock.advance(VISIBILITY_MS);
      expect(queue.depths(clock.now())).to.include({ visible: 3 });

      const next = receive({ maxReceiveCount: 2, maxMessages: 2 });
      expect(bodiesOf(next)).to.deep.equal(['c']);
      expect(next[0]?.receiveCount).to.equal(2);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 1, deadLetters: 2 });
    });
  });

  describe('batching window', () => {
    const WINDOW_MS = 1_000;

    it('waits while fewer than maxMessages are visible and the oldest is younger than the window', () => {
      send('a');
      clock.advance(400);
      send('b', 'c');
      expect(receive({ batchingWindowMs: WINDOW_MS })).to.deep.equal([]);
      clock.advance(599); // the oldest is 999 ms old
      expect(receive({ batchingWindowMs: WINDOW_MS })).to.deep.equal([]);
      expect(queue.depths(clock.now())).to.include({ visible: 3, inFlight: 0 });
      clock.advance(1); // the oldest has waited the whole window
      expect(bodiesOf(receive({ batchingWindowMs: WINDOW_MS }))).to.deep.equal(['a', 'b', 'c']);
    });

    it('returns a full batch at once', () => {
      send('a', 'b', 'c');
      expect(receive({ batchingWindowMs: WINDOW_MS, maxMessages: 3 })).to.have.length(3);
      send('d', 'e', 'f', 'g');
      expect(receive({ batchingWindowMs: WINDOW_MS, maxMessages: 3 })).to.have.length(3);
      expect(receive({ batchingWindowMs: WINDOW_MS, maxMessages: 3 })).to.deep.equal([]);
    });

    it('returns what is visible at once when immediate', () => {
      send('a', 'b');
      expect(receive({ batchingWindowMs: WINDOW_MS, immediate: true })).to.have.length(2);
    });

    it('applies to redelivered messages as well', () => {
      send('a');
      receive();
      clock.advance(VISIBILITY_MS);
      expect(receive({ batchingWindowMs: WINDOW_MS })).to.deep.equal([]);
      clock.advance(WINDOW_MS);
      expect(receive({ batchingWindowMs: WINDOW_MS })[0]?.receiveCount).to.equal(2);
    });
  });

  describe('retention', () => {
    const RETENTION_MS = 60_000;

    it('drops messages (waiting, in flight or dead-lettered) older than the retention period', () => {
      const t0 = clock.now();
      const young = t0 + 20_000;
      stack.tx(() => queue.send(['old-dead'], t0));
      stack.tx(() => queue.send(['young-dead'], young));
      expect(receive({ maxReceiveCount: 1 })).to.have.length(2);
      clock.advance(VISIBILITY_MS);
      expect(receive({ maxReceiveCount: 1 })).to.deep.equal([]); // both dead-lettered
      stack.tx(() => queue.send(['old-in-flight'], t0));
      stack.tx(() => queue.send(['young-in-flight'], young));
      expect(receive()).to.have.length(2);
      stack.tx(() => queue.send(['old-waiting'], t0));
      stack.tx(() => queue.send(['young-waiting'], young));
      expect(queue.depths(clock.now())).to.deep.equal({
        visible: 2,
        inFlight: 2,
        deadLetters: 2,
        oldestDeadLetterSentAt: t0,
      });

      clock.set(t0 + RETENTION_MS + 1);
      expect(stack.tx(() => queue.expire(clock.now(), RETENTION_MS))).to.equal(3);
      expect(queue.depths(clock.now())).to.deep.equal({
        visible: 2,
        inFlight: 0,
        deadLetters: 1,
        oldestDeadLetterSentAt: young,
      });
      expect(queue.deadLetters(10).map((d) => d.body)).to.deep.equal(['young-dead']);
      const left = receive();
      expect(bodiesOf(left)).to.deep.equal(['young-in-flight', 'young-waiting']);
      expect(stack.tx(() => queue.expire(clock.now(), RETENTION_MS))).to.equal(0);
    });

    it('keeps a message until it is strictly older than the retention period', () => {
      send('a');
      clock.advance(RETENTION_MS);
      expect(stack.tx(() => queue.expire(clock.now(), RETENTION_MS))).to.equal(0);
      clock.advance(1);
      expect(stack.tx(() => queue.expire(clock.now(), RETENTION_MS))).to.equal(1);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0 });
      expect(receive({ immediate: true })).to.deep.equal([]);
    });

    it('drops an expired message that is in flight, so it is never redelivered', () => {
      send('old');
      clock.advance(1_000);
      send('young');
      receive();
      clock.set(clock.now() + RETENTION_MS - 500);
      expect(stack.tx(() => queue.expire(clock.now(), RETENTION_MS))).to.equal(1);
      clock.advance(VISIBILITY_MS);
      expect(bodiesOf(receive())).to.deep.equal(['young']);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: 1 });
    });
  });

  describe('depths', () => {
    it('reports visible, in-flight and dead-lettered messages and the oldest dead letter', () => {
      expect(queue.depths(clock.now())).to.deep.equal({
        visible: 0,
        inFlight: 0,
        deadLetters: 0,
        oldestDeadLetterSentAt: undefined,
      });
      const firstSent = clock.now();
      send('dead-1');
      clock.advance(1_000);
      send('dead-2');
      receive({ maxReceiveCount: 1 });
      clock.advance(VISIBILITY_MS);
      receive({ maxReceiveCount: 1 });
      send('m1', 'm2', 'm3', 'm4', 'm5');
      const inFlight = receive({ maxMessages: 2 });
      expect(inFlight).to.have.length(2);
      expect(queue.depths(clock.now())).to.deep.equal({
        visible: 3,
        inFlight: 2,
        deadLetters: 2,
        oldestDeadLetterSentAt: firstSent,
      });
      stack.tx(() => queue.delete(inFlight.slice(0, 1)));
      clock.advance(VISIBILITY_MS);
      expect(queue.depths(clock.now())).to.deep.equal({
        visible: 4,
        inFlight: 0,
        deadLetters: 2,
        oldestDeadLetterSentAt: firstSent,
      });
    });
  });

  describe('several consumers', () => {
    it('never gives the same invisible message to two LocalQueue instances on two connections', () => {
      const second = connectTo(stack.path, openExisting(stack.path, 'test-stack'));
      others.push(second);
      const bodies = Array.from({ length: 50 }, (_, i) => `m${i}`);
      stack.tx(() => queue.send(bodies, clock.now()));

      const seen = new Map<string, string>();
      for (let turn = 0; ; turn++) {
        expect(turn, 'the queue never ran dry').to.be.below(100);
        const on = turn % 2 === 0 ? stack : second;
        const batch = receive({ maxMessages: 3 }, on);
        if (batch.length === 0) break;
        for (const m of batch) {
          expect(seen.has(m.messageId), `message ${m.messageId} delivered twice`).to.equal(false);
          seen.set(m.messageId, m.body);
        }
      }
      expect([...seen.values()].sort()).to.deep.equal([...bodies].sort());
      expect(receive({}, second)).to.deep.equal([]);

      // Once visible again, each goes to exactly one of them, as a second receive; one consumer's
      // receipt deletes it for both.
      clock.advance(VISIBILITY_MS);
      const a = receive({ maxMessages: 30 }, stack);
      const b = receive({ maxMessages: 30 }, second);
      expect(a.length + b.length).to.equal(50);
      const ids = [...a, ...b].map((m) => m.messageId);
      expect(new Set(ids).size).to.equal(50);
      for (const m of [...a, ...b]) expect(m.receiveCount).to.equal(2);
      expect(second.tx(() => second.queue.delete(b))).to.equal(b.length);
      expect(stack.tx(() => queue.delete(b))).to.equal(0);
      expect(stack.tx(() => queue.delete(a))).to.equal(a.length);
      expect(second.queue.depths(clock.now())).to.include({ visible: 0, inFlight: 0 });
    });

    it('never gives the same message to two processes receiving at the same time', async function () {
      this.timeout(60_000);
      const total = 1_000;
      stack.tx(() =>
        queue.send(
          Array.from({ length: total }, (_, i) => `m${i}`),
          clock.now(),
        ),
      );
      const script = fileURLToPath(new URL('../../../testkit/queue-consumer.ts', import.meta.url));
      const go = path.join(dir, 'go');
      const ready = [1, 2, 3, 4].map((i) => path.join(dir, `ready-${i}`));
      const running = ready.map((readyFile, i) =>
        run(
          process.execPath,
          ['--import', 'tsx', script, stack.path, String(clock.now()), String(i + 1), readyFile, go],
          { timeout: 30_000 },
        ),
      );
      const deadline = Date.now() + 30_000;
      while (!ready.every((f) => fs.existsSync(f))) {
        if (Date.now() > deadline) expect.fail('the consumers did not start');
        await sleep(20);
      }
      fs.writeFileSync(go, '');
      const outputs = await Promise.all(running);
      const perProcess = outputs.map(({ stdout }) => JSON.parse(stdout) as string[]);
      const all = perProcess.flat();
      expect(new Set(all).size, 'a message was delivered to two consumers').to.equal(all.length);
      expect(all).to.have.length(total);
      // They really competed (how evenly depends on the scheduler).
      expect(perProcess.filter((ids) => ids.length > 0).length).to.be.greaterThan(1);
      expect(queue.depths(clock.now())).to.include({ visible: 0, inFlight: total });
    });
  });
});
