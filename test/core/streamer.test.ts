import { expect } from 'chai';
import sinon from 'sinon';
import { systemClock } from '../../src/core/clock.js';
import type { OutgoingEvent } from '../../src/core/event.js';
import {
  type EventSender,
  type SendOutcome,
  type SourceItem,
  type StreamOptions,
  type StreamProgress,
  type StreamStats,
  streamEvents,
} from '../../src/core/streamer.js';

const START = Date.UTC(2024, 5, 1, 12, 0, 0);
const COUNTIES = ['Albany', 'Broome', 'Chemung', 'Erie'];

const row = (line: number): SourceItem => ({
  kind: 'row',
  line,
  county: COUNTIES[line % COUNTIES.length] ?? 'Albany',
  dataJson: JSON.stringify({ County: COUNTIES[line % COUNTIES.length] ?? 'Albany', Line: String(line) }),
});
const skip = (line: number): SourceItem => ({ kind: 'skip', line, reason: 'County is empty' });

/**
 * A source of the given items, `perChunk` to a chunk; records how many items were read and whether
 * it was closed.
 */
function sourceOf(items: SourceItem[] | number, perChunk = 1) {
  const list = typeof items === 'number' ? Array.from({ length: items }, (_, i) => row(i + 2)) : items;
  const state = { read: 0, closed: false };
  const iterable: AsyncIterable<SourceItem[]> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const value = list.slice(state.read, state.read + perChunk);
        if (value.length === 0) return { done: true, value: undefined };
        state.read += value.length;
        return { done: false, value };
      },
      return: async () => {
        state.closed = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { iterable, state };
}

/** An endless source: row after row. */
function endless(): AsyncIterable<SourceItem[]> {
  return {
    async *[Symbol.asyncIterator]() {
      for (let line = 2; ; line++) yield [row(line)];
    },
  };
}

interface Batch {
  /** Fake-clock time of the send call, ms after START. */
  at: number;
  events: OutgoingEvent[];
}

/**
 * A queue producer on the fake clock. `delayMs` says how long each send takes (by call number, from 0);
 * `outcome` and `reject` shape its answer.
 */
class FakeSender implements EventSender {
  readonly batches: Batch[] = [];
  inFlight = 0;
  maxSeenInFlight = 0;
  settledSends = 0;
  delayMs: (call: number, at: number) => number = () => 0;
  outcome: (events: OutgoingEvent[]) => SendOutcome = (events) => ({ sent: events.length, failed: 0 });
  reject: (call: number) => Error | undefined = () => undefined;
  /** Requests the queue throttled so far, as a sender counts them. */
  throttled = 0;

  constructor(
    readonly maxBatchSize = 10,
    readonly maxInFlight = 1,
    readonly minInFlight?: number,
  ) {}

  throttles(): number {
    return this.throttled;
  }

  async send(events: OutgoingEvent[]): Promise<SendOutcome> {
    const call = this.batches.length;
    const at = Date.now() - START;
    this.batches.push({ at, events });
    this.inFlight++;
    this.maxSeenInFlight = Math.max(this.maxSeenInFlight, this.inFlight);
    try {
      const delay = this.delayMs(call, at);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      else await Promise.resolve();
      const error = this.reject(call);
      if (error) throw error;
      return this.outcome(events);
    } finally {
      this.inFlight--;
      this.settledSends++;
    }
  }

  get events(): OutgoingEvent[] {
    return this.batches.flatMap((b) => b.events);
  }

  /** For each event in order, when it was sent (ms after START). */
  get sendTimes(): number[] {
    return this.batches.flatMap((b) => b.events.map(() => b.at));
  }

  get sizes(): number[] {
    return this.batches.map((b) => b.events.length);
  }
}

/** The five counters of a stream's stats (the rest are its pacing). */
function counters(stats: StreamStats): StreamStats {
  const { sent, skipped, failed, elapsedMs, ratePerSecond } = stats;
  return { sent, skipped, failed, elapsedMs, ratePerSecond };
}

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

describe('core/streamer', () => {
  let fake: sinon.SinonFakeTimers;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: START, loopLimit: 100_000 });
  });
  afterEach(() => {
    fake.restore();
  });

  /** Starts a stream on the fake clock. */
  function start(
    source: AsyncIterable<readonly SourceItem[]>,
    sender: FakeSender,
    options: Partial<StreamOptions> & { intervalMs: number },
  ) {
    return track(streamEvents(source, sender, { clock: systemClock, ...options }));
  }

  /**
   * Runs the fake clock until the stream is over. tickAsync rather than runAllAsync: like Node, it
   * makes a sub-millisecond setTimeout wait for the next millisecond.
   */
  async function finish<T>(run: { done: boolean; value?: T; error?: unknown }): Promise<T> {
    for (let ms = 0; !run.done && ms < 60_000; ms += 10) await fake.tickAsync(10);
    expect(run.done, 'stream finished').to.equal(true);
    if (run.error !== undefined) throw run.error;
    return run.value as T;
  }

  describe('pacing', () => {
    it('sends event k at start + k * interval, each with the clock time at send', async () => {
      const sender = new FakeSender();
      const stats = await finish(start(sourceOf(5).iterable, sender, { intervalMs: 10 }));
      expect(sender.sendTimes).to.deep.equal([0, 10, 20, 30, 40]);
      expect(sender.events.map((e) => e.time - START)).to.deep.equal([0, 10, 20, 30, 40]);
      // The next row is read before waiting for its slot, so the end of the file is seen right after
      // the last send (40 ms), not one interval later.
      expect(counters(stats)).to.deep.equal({
        sent: 5,
        skipped: 0,
        failed: 0,
        elapsedMs: 40,
        ratePerSecond: 125,
      });
      expect(stats).to.deep.include({
        askedRatePerSecond: 100,
        rateHeld: true,
        limitedBy: null,
        maxBehindMs: 0,
      });
    });

    it('sends nothing before it is due', async () => {
      const sender = new FakeSender();
      const run = start(endless(), sender, { intervalMs: 100 });
      await fake.tickAsync(99);
      expect(sender.events).to.have.length(1);
      await fake.tickAsync(1);
      expect(sender.events).to.have.length(2);
      expect(run.done).to.equal(false);
    });

    it('sends the rows of the source in order, with their county and columns', async () => {
      const sender = new FakeSender();
      await finish(start(sourceOf(3).iterable, sender, { intervalMs: 1 }));
      expect(sender.events.map((e) => ({ county: e.county, data: JSON.parse(e.dataJson) }))).to.deep.equal(
        [2, 3, 4].map((line) => ({
          county: COUNTIES[line % 4],
          data: { County: COUNTIES[line % 4], Line: String(line) },
        })),
      );
    });

    it('sends the same events, skips counted, whatever the chunk size of the source', async () => {
      const items = [row(2), skip(3), row(4), row(5), skip(6), skip(7), row(8), row(9)];
      const sent: { lines: string[]; stats: StreamStats }[] = [];
      for (const perChunk of [1, 3, 100]) {
        const sender = new FakeSender(2);
        const stats = await finish(start(sourceOf(items, perChunk).iterable, sender, { intervalMs: 1 }));
        sent.push({ lines: sender.events.map((e) => JSON.parse(e.dataJson).Line), stats });
      }
      for (const run of sent) {
        expect(run.lines).to.deep.equal(['2', '4', '5', '8', '9']);
        expect(run.stats).to.include({ sent: 5, skipped: 3 });
      }
    });

    it('reads no chunk past the one that holds the last event of --limit', async () => {
      const { iterable, state } = sourceOf(100, 7);
      await finish(start(iterable, new FakeSender(), { intervalMs: 0, limit: 10 }));
      expect(state.read).to.equal(14);
      expect(state.closed).to.equal(true);
    });

    it('gives every event a unique UUIDv7 stamped with its send time', async () => {
      const sender = new FakeSender(10, 4);
      await finish(start(sourceOf(500).iterable, sender, { intervalMs: 0.5 }));
      const ids = sender.events.map((e) => e.id);
      expect(new Set(ids).size).to.equal(500);
      for (const event of sender.events) {
        expect(event.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(Number.parseInt(event.id.replace(/-/g, '').slice(0, 12), 16)).to.equal(event.time);
      }
    });

    it('keeps due times when a send is slow: what fell due meanwhile goes in one batch', async () => {
      // GIVEN a 10 ms interval and a first send that takes 35 ms (one send in flight at a time)
      const sender = new FakeSender(10, 1);
      sender.delayMs = (call) => (call === 0 ? 35 : 0);
      await finish(start(sourceOf(6).iterable, sender, { intervalMs: 10 }));
      // THEN events 1-3, due at 10, 20 and 30, go together when the slow send is done,
      // and event 4 is still sent at its own due time, 40, not 35 + 10
      expect(sender.batches.map((b) => [b.at, b.events.length])).to.deep.equal([
        [0, 1],
        [35, 3],
        [40, 1],
        [50, 1],
      ]);
    });

    it('catch-up batches are capped by maxBatchSize', async () => {
      const sender = new FakeSender(3, 1);
      sender.delayMs = (call) => (call === 0 ? 10 : 0);
      await finish(start(sourceOf(12).iterable, sender, { intervalMs: 1 }));
      expect(sender.batches.map((b) => [b.at, b.events.length])).to.deep.equal([
        [0, 1],
        [10, 3],
        [10, 3],
        [10, 3],
        [10, 1],
        [11, 1],
      ]);
    });

    it('fractional interval 0.1 ms: 1,001 events in 100 ms, each at the first millisecond it is due', async () => {
      const sender = new FakeSender(10, 1);
      const run = start(endless(), sender, { intervalMs: 0.1 });
      await fake.tickAsync(100);
      expect(sender.events).to.have.length(1001);
      expect(Math.max(...sender.sizes)).to.equal(10);
      // Event k is due at k / 10 ms: not sent before, and not a millisecond later.
      sender.sendTimes.forEach((at, k) => {
        if (at !== Math.ceil(k / 10)) expect.fail(`event ${k} sent at ${at}, want ${Math.ceil(k / 10)}`);
      });
      expect(run.done).to.equal(false);
    });

    it('fractional interval 2.5 ms: 41 events in 100 ms, each at the first millisecond it is due', async () => {
      const sender = new FakeSender(10, 1);
      start(endless(), sender, { intervalMs: 2.5 });
      await fake.tickAsync(100);
      expect(sender.events).to.have.length(41);
      expect(sender.sendTimes).to.deep.equal(Array.from({ length: 41 }, (_, k) => Math.ceil(k * 2.5)));
    });

    it('does not drift over 10,000 events: exactly 10,000 sent after 9,999 ms at 1 ms', async () => {
      const sender = new FakeSender(10, 1);
      const controller = new AbortController();
      const run = start(endless(), sender, { intervalMs: 1, signal: controller.signal });
      await fake.tickAsync(9_999);
      expect(sender.events).to.have.length(10_000);
      expect(sender.events.at(-1)?.time).to.equal(START + 9_999);
      await fake.tickAsync(1);
      expect(sender.events).to.have.length(10_001);
      controller.abort();
      await fake.tickAsync(0);
      expect(run.done).to.equal(true);
    });

    it('does not drift over 10,000 events even when some sends take longer than the interval', async () => {
      // GIVEN a send that takes 7 ms every 500 ms of the stream (but none near the end)
      const sender = new FakeSender(10, 1);
      sender.delayMs = (_call, at) => (at % 500 === 0 && at < 9_000 ? 7 : 0);
      const controller = new AbortController();
      start(endless(), sender, { intervalMs: 1, signal: controller.signal });
      await fake.tickAsync(9_999);
      // THEN the slow sends were caught up and every event is on its original schedule
      expect(sender.events).to.have.length(10_000);
      expect(sender.batches.some((b) => b.events.length > 1)).to.equal(true);
      sender.sendTimes.forEach((at, k) => {
        if (at < k) expect.fail(`event ${k} sent early, at ${at}`);
      });
      expect(sender.batches.filter((b) => b.at >= 9_000).every((b) => b.events.length === 1)).to.equal(true);
      controller.abort();
      await fake.tickAsync(0);
    });
  });

  describe('unthrottled (--interval-ms 0)', () => {
    it('sends everything at once in batches of maxBatchSize', async () => {
      const sender = new FakeSender(10, 1);
      const stats = await finish(start(sourceOf(95).iterable, sender, { intervalMs: 0 }));
      expect(sender.sizes).to.deep.equal([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
      expect(sender.batches.every((b) => b.at === 0)).to.equal(true);
      expect(stats.sent).to.equal(95);
      expect(stats.elapsedMs).to.equal(0);
      expect(stats.ratePerSecond).to.equal(0);
    });
  });

  describe('limit', () => {
    it('stops after exactly N events, reading no further than it needs', async () => {
      const sender = new FakeSender(10, 1);
      const { iterable, state } = sourceOf(100);
      const stats = await finish(start(iterable, sender, { intervalMs: 0, limit: 25 }));
      expect(sender.events).to.have.length(25);
      expect(sender.sizes).to.deep.equal([10, 10, 5]);
      expect(stats.sent).to.equal(25);
      expect(state.read).to.equal(25);
      expect(state.closed).to.equal(true);
    });

    it('stops after exactly N paced events', async () => {
      const sender = new FakeSender(10, 1);
      const run = start(endless(), sender, { intervalMs: 5, limit: 3 });
      const stats = await finish(run);
      expect(sender.sendTimes).to.deep.equal([0, 5, 10]);
      expect(stats.sent).to.equal(3);
    });
  });

  describe('skipped rows', () => {
    it('counts skipped source items and never sends them', async () => {
      const sender = new FakeSender(10, 1);
      const skips: number[] = [];
      const items = [row(2), skip(3), skip(4), row(5), skip(6), row(7), skip(8)];
      const stats = await finish(
        start(sourceOf(items).iterable, sender, { intervalMs: 0, onSkip: (item) => skips.push(item.line) }),
      );
      expect(sender.events.map((e) => JSON.parse(e.dataJson).Line)).to.deep.equal(['2', '5', '7']);
      expect(stats.sent).to.equal(3);
      expect(stats.skipped).to.equal(4);
      expect(skips).to.deep.equal([3, 4, 6, 8]);
    });

    it('skipped rows take no slot in the pacing schedule', async () => {
      const sender = new FakeSender(10, 1);
      await finish(start(sourceOf([row(2), skip(3), skip(4), row(5)]).iterable, sender, { intervalMs: 10 }));
      expect(sender.sendTimes).to.deep.equal([0, 10]);
    });

    it('a limit counts sent events, not skipped rows', async () => {
      const sender = new FakeSender(10, 1);
      const stats = await finish(
        start(sourceOf([skip(2), row(3), skip(4), row(5), row(6)]).iterable, sender, {
          intervalMs: 0,
          limit: 2,
        }),
      );
      expect(sender.events.map((e) => JSON.parse(e.dataJson).Line)).to.deep.equal(['3', '5']);
      expect(stats.skipped).to.equal(2);
    });
  });

  describe('abort', () => {
    it('stops the stream, waits for the sends in flight, and returns a summary that includes them', async () => {
      // GIVEN sends that take 50 ms, two at a time
      const sender = new FakeSender(10, 2);
      sender.delayMs = () => 50;
      const controller = new AbortController();
      const { iterable, state } = sourceOf(1000);
      const run = start(iterable, sender, { intervalMs: 20, signal: controller.signal });
      await fake.tickAsync(30);
      expect(sender.inFlight).to.equal(2);
      // WHEN the stream is aborted with two sends in flight
      controller.abort();
      await fake.tickAsync(0);
      // THEN it has not returned before they settle
      expect(run.done).to.equal(false);
      await fake.tickAsync(50);
      expect(run.done).to.equal(true);
      expect(run.error).to.equal(undefined);
      expect(sender.inFlight).to.equal(0);
      // AND the summary counts the sends that were in flight; nothing is sent after the abort
      expect(run.value?.sent).to.equal(2);
      expect(sender.batches).to.have.length(2);
      expect(state.closed).to.equal(true);
      await fake.tickAsync(1000);
      expect(sender.batches).to.have.length(2);
    });

    it('stops a stream that is waiting for its next due time at once', async () => {
      const sender = new FakeSender(10, 1);
      const controller = new AbortController();
      const run = start(endless(), sender, { intervalMs: 60_000, signal: controller.signal });
      await fake.tickAsync(1000);
      controller.abort();
      await fake.tickAsync(0);
      expect(run.done).to.equal(true);
      expect(run.value?.sent).to.equal(1);
      expect(run.value?.elapsedMs).to.equal(1000);
    });

    it('sends nothing when the signal has already aborted', async () => {
      const sender = new FakeSender(10, 1);
      const controller = new AbortController();
      controller.abort();
      const stats = await finish(start(endless(), sender, { intervalMs: 1, signal: controller.signal }));
      expect(sender.batches).to.have.length(0);
      expect(stats.sent).to.equal(0);
    });
  });

  describe('failures', () => {
    it('a sender that rejects makes the stream reject, after the work in flight has settled', async () => {
      // GIVEN two sends in flight: the second rejects fast, the first is still running
      const sender = new FakeSender(10, 2);
      sender.delayMs = (call) => (call === 0 ? 100 : 1);
      const stackGone = new Error('queue does not exist');
      sender.reject = (call) => (call === 1 ? stackGone : undefined);
      const { iterable, state } = sourceOf(1000);
      const run = start(iterable, sender, { intervalMs: 10 });
      await fake.tickAsync(20);
      // THEN the stream has not settled while the first send is still in flight
      expect(run.done).to.equal(false);
      expect(sender.settledSends).to.equal(1);
      await fake.tickAsync(100);
      expect(run.done).to.equal(true);
      expect(run.error).to.equal(stackGone);
      expect(sender.settledSends).to.equal(sender.batches.length);
      expect(sender.inFlight).to.equal(0);
      expect(state.closed).to.equal(true);
    });

    it('an immediately rejecting sender rejects the stream without sending more', async () => {
      const sender = new FakeSender(10, 1);
      sender.reject = () => new Error('access denied');
      const run = start(sourceOf(100).iterable, sender, { intervalMs: 0 });
      await fake.tickAsync(10);
      expect(run.done).to.equal(true);
      expect((run.error as Error).message).to.equal('access denied');
      expect(sender.batches).to.have.length(1);
    });

    it('events a send could not deliver are counted as failed, reported, and the stream goes on', async () => {
      const sender = new FakeSender(10, 1);
      sender.outcome = (events) =>
        events.length === 10
          ? { sent: 7, failed: 3, error: 'throttled' }
          : { sent: events.length, failed: 0 };
      const failures: string[] = [];
      const stats = await finish(
        start(sourceOf(15).iterable, sender, { intervalMs: 0, onFailure: (e) => failures.push(e) }),
      );
      expect(stats.sent).to.equal(12);
      expect(stats.failed).to.equal(3);
      expect(failures).to.deep.equal(['throttled']);
    });

    it('a failure without a reason is reported with its count', async () => {
      const sender = new FakeSender(10, 1);
      sender.outcome = (events) => ({ sent: 0, failed: events.length });
      const failures: string[] = [];
      await finish(
        start(sourceOf(2).iterable, sender, { intervalMs: 0, onFailure: (e) => failures.push(e) }),
      );
      expect(failures).to.deep.equal(['2 events not sent']);
    });
  });

  describe('a source that misbehaves', () => {
    /** A chunk of `first` rows, then what `then` does on the next read. */
    function chunkThen(first: number, then: () => Promise<IteratorResult<SourceItem[]>>) {
      const state = { reads: 0, closed: false };
      const iterable: AsyncIterable<SourceItem[]> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            state.reads++;
            if (state.reads === 1)
              return { done: false, value: Array.from({ length: first }, (_, i) => row(i + 2)) };
            return then();
          },
          return: async () => {
            state.closed = true;
            return { done: true, value: undefined };
          },
        }),
      };
      return { iterable, state };
    }

    it('fails midway: the rows read before go out, then the stream rejects with its error, onEnd with the summary', async () => {
      // GIVEN 15 rows, then a read that fails (a file deleted, a FIFO empty on its next pass)
      const gone = new Error('the file is gone');
      const { iterable } = chunkThen(15, () => Promise.reject(gone));
      const sender = new FakeSender(10, 1);
      const ends: StreamStats[] = [];
      const run = start(iterable, sender, { intervalMs: 0, onEnd: (stats) => ends.push(stats) });
      await fake.tickAsync(100);
      // THEN all 15 were sent, the error came out, and onEnd says what was sent
      expect(run.done).to.equal(true);
      expect(run.error).to.equal(gone);
      expect(sender.events).to.have.length(15);
      expect(ends.map((e) => [e.sent, e.failed])).to.deep.equal([[15, 0]]);
    });

    it('calls onEnd once, after the sends settled, however the stream ends', async () => {
      const sender = new FakeSender(10, 1);
      sender.delayMs = () => 30;
      const ends: StreamStats[] = [];
      const stats = await finish(
        start(sourceOf(25).iterable, sender, { intervalMs: 0, onEnd: (e) => ends.push(e) }),
      );
      expect(ends).to.deep.equal([stats]);
    });

    it('sends the rows at hand at once rather than wait on a slow read to fill the batch', async () => {
      // GIVEN 3 rows, and a next read that takes 5 s (a FIFO whose writer is slow)
      let more = 0;
      const { iterable } = chunkThen(3, async () => {
        if (more++ > 0) return { done: true, value: undefined };
        await new Promise((resolve) => setTimeout(resolve, 5000));
        return { done: false, value: [row(10), row(11)] };
      });
      const sender = new FakeSender(10, 1);
      const stats = await finish(start(iterable, sender, { intervalMs: 0 }));
      // THEN the 3 went out at once, the other 2 when they came
      expect(sender.batches.map((b) => [b.at, b.events.length])).to.deep.equal([
        [0, 3],
        [5000, 2],
      ]);
      expect(stats.sent).to.equal(5);
    });

    it('ends on a fatal send without waiting for a read that never comes (a FIFO with no writer)', async () => {
      const { iterable, state } = chunkThen(3, () => new Promise(() => {}));
      const sender = new FakeSender(10, 1);
      sender.reject = () => new Error('queue does not exist');
      const run = start(iterable, sender, { intervalMs: 0 });
      await fake.tickAsync(50);
      expect(run.done).to.equal(true);
      expect((run.error as Error).message).to.equal('queue does not exist');
      expect(state.closed).to.equal(false); // closed once that read ends, which the caller's signal brings about
    });
  });

  describe('concurrency', () => {
    it('maxInFlight > 1 lets sends overlap, but never more than maxInFlight', async () => {
      // GIVEN sends that take 35 ms at a 10 ms interval and room for 3 in flight
      const sender = new FakeSender(10, 3);
      sender.delayMs = () => 35;
      const stats = await finish(start(sourceOf(30).iterable, sender, { intervalMs: 10 }));
      expect(sender.maxSeenInFlight).to.equal(3);
      expect(stats.sent).to.equal(30);
      // The first three go on schedule, overlapping
      expect(sender.batches.slice(0, 3).map((b) => [b.at, b.events.length])).to.deep.equal([
        [0, 1],
        [10, 1],
        [20, 1],
      ]);
    });

    it('maxInFlight 1 never overlaps sends', async () => {
      const sender = new FakeSender(10, 1);
      sender.delayMs = () => 15;
      await finish(start(sourceOf(20).iterable, sender, { intervalMs: 10 }));
      expect(sender.maxSeenInFlight).to.equal(1);
      expect(sender.events).to.have.length(20);
    });

    it('unthrottled with maxInFlight 4 keeps 4 sends going', async () => {
      const sender = new FakeSender(10, 4);
      sender.delayMs = () => 5;
      await finish(start(sourceOf(200).iterable, sender, { intervalMs: 0 }));
      expect(sender.maxSeenInFlight).to.equal(4);
      expect(sender.events).to.have.length(200);
      expect(sender.sizes.every((n) => n === 10)).to.equal(true);
    });
  });

  describe('progress', () => {
    it('reports progress after each send with the running totals', async () => {
      const sender = new FakeSender(10, 1);
      const progress: StreamStats[] = [];
      await finish(
        start(sourceOf(3).iterable, sender, { intervalMs: 100, onProgress: (s) => progress.push(s) }),
      );
      expect(progress.map((p) => [p.sent, p.elapsedMs])).to.deep.equal([
        [1, 0],
        [2, 100],
        [3, 200],
      ]);
      expect(progress[2]?.ratePerSecond).to.equal(15);
    });
  });

  describe("send slots sized from the round trip (Little's law)", () => {
    /** 10,000 events/s asked (0.1 ms), answers after `roundTripMs`, slots between 16 and 256. */
    async function tenThousandPerSecond(roundTripMs: number, bounds = { min: 16, max: 256 }, seconds = 2) {
      const sender = new FakeSender(10, bounds.max, bounds.min);
      sender.delayMs = () => roundTripMs;
      const progress: StreamProgress[] = [];
      const run = start(endless(), sender, {
        intervalMs: 0.1,
        limit: seconds * 10_000,
        onProgress: (p) => progress.push(p),
      });
      const stats = await finish(run);
      return { sender, stats, progress };
    }

    for (const roundTripMs of [50, 100]) {
      it(`holds 10,000 events/s at a ${roundTripMs} ms round trip: about 1.5 x 1,000 sends/s x ${roundTripMs} ms in flight`, async () => {
        const { sender, stats } = await tenThousandPerSecond(roundTripMs);
        const needed = Math.ceil(1.5 * 1000 * (roundTripMs / 1000)) + 1; // 76 at 50 ms, 151 at 100 ms
        expect(stats.sent).to.equal(20_000);
        // The last event was due at 1,999.9 ms; it went then, and its answer came a round trip later.
        expect(stats.elapsedMs).to.be.within(2_000 + roundTripMs - 1, 2_000 + roundTripMs + 1);
        expect(stats).to.deep.include({ rateHeld: true, limitedBy: null });
        // (+1 when the measured events per send come out a hair under 10.)
        expect(stats.inFlightLimit).to.be.within(needed, needed + 1);
        expect(stats.maxBehindMs).to.be.below(roundTripMs);
        // (The limit moves a little as it measures, and sends already in flight stay.)
        expect(sender.maxSeenInFlight).to.be.within(roundTripMs, needed + 4);
        expect(stats.maxInFlight).to.equal(sender.maxSeenInFlight);
        expect(stats.roundTripMs).to.equal(roundTripMs);
        // Event k is never sent before it is due.
        sender.sendTimes.forEach((at, k) => {
          if (at < k / 10) expect.fail(`event ${k} sent at ${at} ms, before it was due`);
        });
      });
    }

    it('the old fixed 16 in flight falls behind at 50 ms, and says the round trip is why', async () => {
      const { stats, progress } = await tenThousandPerSecond(50, { min: 16, max: 16 });
      expect(stats.maxInFlight).to.equal(16);
      // 16 sends of 10 per 50 ms: 3,200 events/s at most, so 20,000 events take about 6.25 s.
      expect(stats.ratePerSecond).to.be.within(3_100, 3_200);
      expect(stats).to.deep.include({ rateHeld: false, limitedBy: 'round-trip', askedRatePerSecond: 10_000 });
      expect(stats.maxBehindMs).to.be.within(4_000, 4_300);
      // While it ran: held for the first second, then behind and saying why, holding about 3,200/s,
      // until the last event was sent (then none is due, and none is late).
      const late = progress.filter((p) => p.elapsedMs > 2_500 && p.elapsedMs < 6_000);
      expect(late.length).to.be.greaterThan(0);
      for (const p of late) {
        expect(p).to.deep.include({ rateHeld: false, limitedBy: 'round-trip' });
        expect(p.holdingRatePerSecond).to.be.within(3_000, 3_300);
      }
      expect(progress.find((p) => p.elapsedMs < 900)).to.deep.include({ rateHeld: true, limitedBy: null });
    });

    it('never goes past the ceiling: at a 1 s round trip 256 are in flight, and the stream says so', async () => {
      const { sender, stats } = await tenThousandPerSecond(1_000, { min: 16, max: 256 }, 1);
      expect(sender.maxSeenInFlight).to.equal(256);
      expect(stats.inFlightLimit).to.equal(256);
      expect(stats).to.deep.include({ rateHeld: false, limitedBy: 'round-trip' });
    });

    it('keeps the floor at a low rate: 10 events/s at 50 ms needs 2, and 16 stay allowed', async () => {
      const sender = new FakeSender(10, 256, 16);
      sender.delayMs = () => 50;
      const stats = await finish(start(sourceOf(30).iterable, sender, { intervalMs: 100 }));
      expect(stats.inFlightLimit).to.equal(16);
      expect(sender.maxSeenInFlight).to.equal(1);
      expect(sender.sizes.every((n) => n === 1)).to.equal(true);
    });

    it('unthrottled: the ceiling from the start, since no rate bounds what is useful', async () => {
      const sender = new FakeSender(10, 64, 16);
      sender.delayMs = () => 20;
      const stats = await finish(start(sourceOf(2_000).iterable, sender, { intervalMs: 0 }));
      expect(sender.maxSeenInFlight).to.equal(64);
      expect(stats).to.deep.include({
        askedRatePerSecond: null,
        rateHeld: null,
        limitedBy: null,
        behindMs: null,
        maxBehindMs: null,
      });
    });

    it('unthrottled on a saturated thread: no more slots than the endpoint itself needs, after a second', async () => {
      // GIVEN a thread busy all the time, and answers that take 50 ms, all but the 2 ms of the
      // endpoint spent queueing behind the busy thread (every 20th answer shows the endpoint's own)
      const sender = new FakeSender(10, 256, 16);
      sender.delayMs = (call) => (call % 20 === 0 ? 2 : 50);
      const progress: StreamProgress[] = [];
      const run = start(endless(), sender, {
        intervalMs: 0,
        limit: 60_000,
        busyMs: () => Date.now() - START,
        onProgress: (p) => progress.push(p),
      });
      await finish(run);
      // THEN the ceiling for the first second (nothing is known yet), then about the floor: more
      // requests in flight would only wait behind the thread (1.5 x 5,100 sends/s x 2 ms + 1 = 17)
      expect(progress.find((p) => p.elapsedMs < 900)?.inFlightLimit).to.equal(256);
      expect(progress.find((p) => p.elapsedMs > 1_100)?.inFlightLimit).to.be.within(16, 17);
      const later = progress.filter((p) => p.elapsedMs > 2_100);
      expect(later.length).to.be.greaterThan(0);
      for (const p of later) expect(p).to.deep.include({ inFlightLimit: 16 });
      // Sends already in flight when the limit came down were let finish, and none joined them.
      for (const p of later) expect(p.inFlight).to.be.at.most(16);
    });

    it('a sender without a floor keeps a fixed number in flight, as before', async () => {
      const sender = new FakeSender(10, 3);
      sender.delayMs = () => 50;
      const stats = await finish(start(sourceOf(300).iterable, sender, { intervalMs: 0.1 }));
      expect(sender.maxSeenInFlight).to.equal(3);
      expect(stats.inFlightLimit).to.equal(3);
    });
  });

  describe("with a clock whose sleeps return at once (a test's instant clock)", () => {
    it('waits for a free slot without spinning on its progress heartbeat', async () => {
      // GIVEN more sends than slots, and a clock that never waits (as the faults scenarios use)
      let sleeps = 0;
      const instant = {
        now: () => Date.now(),
        async sleep() {
          if (++sleeps > 100) throw new Error(`the stream slept ${sleeps} times without waiting: it spins`);
        },
      };
      const sender = new FakeSender(10, 4, 4);
      sender.delayMs = () => 20;
      const stats = await finish(
        track(streamEvents(sourceOf(500).iterable, sender, { intervalMs: 0, clock: instant })),
      );
      // THEN every event went, four sends at a time, with a heartbeat tried once per wait at most
      // (46 waits for a slot)
      expect(stats.sent).to.equal(500);
      expect(sender.maxSeenInFlight).to.equal(4);
      expect(sleeps).to.be.at.most(50);
    });
  });

  describe('a rate not held says why', () => {
    it('throttling: the queue throttled requests while the stream fell behind', async () => {
      // GIVEN answers that slow down to 1 s, because the queue throttles (the SDK retries in the send)
      const sender = new FakeSender(10, 16, 16);
      sender.delayMs = () => {
        sender.throttled++;
        return 1_000;
      };
      const stats = await finish(start(endless(), sender, { intervalMs: 0.1, limit: 3_000 }));
      expect(stats).to.deep.include({ rateHeld: false, limitedBy: 'throttling' });
      expect(stats.throttles).to.equal(sender.throttled);
    });

    it('the source: the stream waits for rows that come slower than asked', async () => {
      const sender = new FakeSender(10, 16, 16);
      // 100 rows every 50 ms: 2,000 rows/s, for 10,000 asked.
      async function* slowRows(): AsyncGenerator<SourceItem[]> {
        for (let line = 2; ; line += 100) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          yield Array.from({ length: 100 }, (_, i) => row(line + i));
        }
      }
      const stats = await finish(start(slowRows(), sender, { intervalMs: 0.1, limit: 6_000 }));
      expect(stats).to.deep.include({ rateHeld: false, limitedBy: 'source' });
      expect(stats.ratePerSecond).to.be.within(1_900, 2_000);
    });

    it('the CPU: a thread busy all the time is named before the waits it causes', async () => {
      const sender = new FakeSender(10, 16, 16);
      sender.delayMs = () => 50;
      const stats = await finish(
        start(endless(), sender, { intervalMs: 0.1, limit: 10_000, busyMs: () => Date.now() - START }),
      );
      expect(stats).to.deep.include({ rateHeld: false, limitedBy: 'cpu', busyShare: 1 });
    });

    it('a stream that catches up holds its rate again, and the summary still says it fell behind', async () => {
      // GIVEN answers that take 3 s for the first second of the stream, then 10 ms
      const sender = new FakeSender(10, 256, 16);
      sender.delayMs = (_call, at) => (at < 1_000 ? 3_000 : 10);
      const progress: StreamProgress[] = [];
      const stats = await finish(
        start(endless(), sender, { intervalMs: 0.1, limit: 80_000, onProgress: (p) => progress.push(p) }),
      );
      expect(progress.some((p) => p.limitedBy === 'round-trip')).to.equal(true);
      expect(progress.at(-1)).to.deep.include({ rateHeld: true, limitedBy: null });
      expect(stats.sent).to.equal(80_000);
      expect(stats).to.deep.include({ rateHeld: false, limitedBy: 'round-trip' });
      expect(stats.maxBehindMs).to.be.above(1_000);
    });

    it('reports progress while every slot waits for a stalled endpoint, and stops on Ctrl-C', async () => {
      const sender = new FakeSender(10, 16, 16);
      sender.delayMs = () => 60_000;
      const controller = new AbortController();
      const progress: StreamProgress[] = [];
      const run = start(endless(), sender, {
        intervalMs: 0.1,
        signal: controller.signal,
        onProgress: (p) => progress.push(p),
      });
      await fake.tickAsync(3_000);
      expect(sender.batches).to.have.length(16);
      const last = progress.at(-1);
      expect(last?.elapsedMs).to.be.within(2_500, 3_000);
      expect(last).to.deep.include({ rateHeld: false, limitedBy: 'round-trip', inFlight: 16 });
      expect(last?.behindMs).to.be.within(2_400, 3_000);
      // WHEN Ctrl-C: the stream stops sending and waits for what is in flight, as before
      controller.abort();
      await fake.tickAsync(0);
      expect(run.done).to.equal(false);
      await fake.tickAsync(60_000);
      expect(run.done).to.equal(true);
      expect(run.value?.sent).to.equal(1 + 15 * 10); // event 0 went alone, at 0 ms
      expect(sender.batches).to.have.length(16);
    });
  });
});
