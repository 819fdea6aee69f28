import { expect } from 'chai';
import { uuidv7 } from '../../../src/core/id.js';
import { windowAt } from '../../../src/core/window.js';
import {
  EVENT_SHARDS,
  eventKey,
  fnv1a32,
  MINUTE_MS,
  parseSecondRecordKey,
  partitionKey,
  SECONDS_PARTITION_SUFFIX,
  secondRecordKey,
  secondRecordRange,
  shardOf,
  sortKeyRange,
  timeRangeKeys,
  windowPartitions,
} from '../../../src/targets/aws/keys.js';

const T = Date.UTC(2025, 0, 1, 12, 0, 30, 250);

/** What `sk BETWEEN lo AND hi` selects (the keys are ASCII, so JS order is DynamoDB's byte order). */
const between = (sk: string, [lo, hi]: [string, string]) => sk >= lo && sk <= hi;

describe('aws keys', () => {
  it('hashes with FNV-1a 32 (reference vectors), over UTF-8 bytes', () => {
    expect(fnv1a32('')).to.equal(0x811c9dc5);
    expect(fnv1a32('a')).to.equal(0xe40c292c);
    expect(fnv1a32('foobar')).to.equal(0xbf9cf968);
    // 'é' is hashed as its UTF-8 bytes c3 a9, not as the one UTF-16 unit e9.
    let h = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) h = Math.imul(h ^ byte, 0x01000193);
    expect(fnv1a32('é')).to.equal(h >>> 0);
  });

  it('makes the documented key: <minute>#<shard> and <13-digit time>#<id>', () => {
    const key = eventKey({ id: 'abc', time: T });
    expect(key.pk).to.equal(`${Math.floor(T / MINUTE_MS)}#${fnv1a32('abc') % EVENT_SHARDS}`);
    expect(key.sk).to.equal(`${String(T).padStart(13, '0')}#abc`);
    expect(eventKey({ id: 'x', time: 5 }).sk).to.equal('0000000000005#x');
  });

  it('gives distinct keys to events of the same millisecond, and the same key to a redelivery', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7(T));
    const keys = new Set(
      ids.map((id) => {
        const k = eventKey({ id, time: T });
        return `${k.pk}|${k.sk}`;
      }),
    );
    expect(keys.size).to.equal(1000);
    expect(eventKey({ id: ids[0]!, time: T })).to.deep.equal(eventKey({ id: ids[0]!, time: T }));
  });

  it('spreads 10k ids evenly over the shards', () => {
    const counts = new Array<number>(EVENT_SHARDS).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardOf(uuidv7(T + i))]! += 1;
    const expected = 10_000 / EVENT_SHARDS;
    for (const n of counts) expect(n).to.be.within(expected * 0.8, expected * 1.2);
  });

  it('lists the partitions of exactly the minutes of (start, end]', () => {
    // A window starting on a minute boundary: that minute's first ms is start itself, so it is out.
    const aligned = { start: 10 * MINUTE_MS, end: 15 * MINUTE_MS, minutes: 5 };
    const minutes = new Set(windowPartitions(aligned).map((pk) => Number(pk.split('#')[0])));
    expect([...minutes]).to.deep.equal([10, 11, 12, 13, 14, 15]);
    expect(windowPartitions(aligned)).to.have.length(6 * EVENT_SHARDS);
    // start + 1 ms is still in minute 10; ending 1 ms before a minute leaves the next minute out.
    const inner = { start: 10 * MINUTE_MS + 5, end: 13 * MINUTE_MS - 1, minutes: 3 };
    expect(new Set(windowPartitions(inner).map((pk) => pk.split('#')[0]))).to.deep.equal(
      new Set(['10', '11', '12']),
    );
    // One whose start is the last ms of a minute begins at the next one.
    const late = { start: 11 * MINUTE_MS - 1, end: 12 * MINUTE_MS, minutes: 1 };
    expect(new Set(windowPartitions(late).map((pk) => pk.split('#')[0]))).to.deep.equal(
      new Set(['11', '12']),
    );
    const all = windowPartitions(windowAt(T, 5));
    expect(new Set(all).size).to.equal(all.length);
    for (let shard = 0; shard < EVENT_SHARDS; shard++)
      expect(all).to.include(`${Math.floor(T / MINUTE_MS)}#${shard}`);
  });

  it('sorts every event of (start, end] into the range and none other', () => {
    const window = windowAt(T, 5);
    const range = sortKeyRange(window);
    const sk = (time: number, id = uuidv7(time)) => eventKey({ id, time }).sk;
    expect(between(sk(window.start), range), 'exactly at start').to.equal(false);
    expect(between(sk(window.start - 1), range)).to.equal(false);
    expect(between(sk(window.start + 1), range), 'start + 1 ms').to.equal(true);
    expect(between(sk(window.end), range), 'exactly at end').to.equal(true);
    expect(between(sk(window.end, '~'.repeat(128)), range), 'at end, largest id').to.equal(true);
    expect(between(sk(window.end, ''), range)).to.equal(true);
    expect(between(sk(window.end + 1, ''), range), 'end + 1 ms').to.equal(false);
    expect(between(sk(window.start, '~'.repeat(128)), range)).to.equal(false);
    for (let i = 0; i < 1000; i++) {
      const time = window.start - 1000 + Math.floor(Math.random() * (window.end - window.start + 2000));
      expect(between(sk(time), range)).to.equal(time > window.start && time <= window.end);
    }
  });

  it("keeps each second's two records under its minute's #s partition, which no raw event uses", () => {
    const second = Math.floor(T / 1000);
    const minute = Math.floor(T / MINUTE_MS);
    expect(secondRecordKey(second, 'changes')).to.deep.equal({ pk: `${minute}#s`, sk: `${second}#changes` });
    expect(secondRecordKey(second, 'counts')).to.deep.equal({ pk: `${minute}#s`, sk: `${second}#counts` });
    expect(secondRecordKey(5, 'counts').sk).to.equal('0000000005#counts');
    // The last second of a minute is in that minute, the next in the next.
    expect(secondRecordKey(minute * 60 + 59, 'changes').pk).to.equal(`${minute}#s`);
    expect(secondRecordKey(minute * 60 + 60, 'changes').pk).to.equal(`${minute + 1}#s`);
    for (let shard = 0; shard < EVENT_SHARDS; shard++)
      expect(partitionKey(minute, shard).endsWith(SECONDS_PARTITION_SUFFIX)).to.equal(false);
    expect(parseSecondRecordKey(`${second}#counts`)).to.deep.equal({ second, kind: 'counts' });
    expect(parseSecondRecordKey(`${second}#changes`)).to.deep.equal({ second, kind: 'changes' });
    expect(parseSecondRecordKey(eventKey({ id: 'x', time: T }).sk)).to.equal(undefined);
    expect(parseSecondRecordKey(`${second}#other`)).to.equal(undefined);
  });

  it('selects the records of exactly the seconds asked for', () => {
    const range = secondRecordRange(1_000_000_010, 1_000_000_012);
    for (let second = 1_000_000_008; second <= 1_000_000_014; second++) {
      for (const kind of ['changes', 'counts'] as const) {
        expect(between(secondRecordKey(second, kind).sk, range), `${second} ${kind}`).to.equal(
          second >= 1_000_000_010 && second <= 1_000_000_012,
        );
      }
    }
  });

  it('selects the raw events of a time range (after, upTo] as it does a window', () => {
    const sk = (time: number) => eventKey({ id: uuidv7(time), time }).sk;
    const range = timeRangeKeys(T - 1000, T);
    expect(between(sk(T - 1000), range)).to.equal(false);
    expect(between(sk(T - 999), range)).to.equal(true);
    expect(between(sk(T), range)).to.equal(true);
    expect(between(sk(T + 1), range)).to.equal(false);
  });
});
