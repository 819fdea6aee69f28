import { expect } from 'chai';
import type { LogQuery } from '../../../src/core/logs.js';
import { FUNCTION_LOG_RETENTION_MS, FunctionLogStore } from '../../../src/targets/local/function-logs.js';
import { type LocalStack, makeTempDir, openStack, removeTempDir, T0 } from '../../../testkit/local.js';

const BOTH: LogQuery = { functions: ['storing', 'aggregation'], since: 0 };

describe('targets/local/function-logs', () => {
  let dir: string;
  let stack: LocalStack;

  beforeEach(() => {
    dir = makeTempDir();
    stack = openStack(dir);
  });

  afterEach(() => {
    stack.db.close();
    removeTempDir(dir);
  });

  it('appends only inside the caller transaction, so that a line commits or rolls back with its invocation', () => {
    const store = new FunctionLogStore(stack.db);
    expect(() => store.append(T0, 'storing', 'INFO', 'x')).to.throw(/inside the caller's transaction/);
    expect(() =>
      stack.tx(() => {
        store.append(T0, 'storing', 'INFO', 'rolled back');
        throw new Error('the invocation failed');
      }),
    ).to.throw('the invocation failed');
    stack.tx(() => store.append(T0, 'storing', 'INFO', 'kept'));
    expect(store.read(BOTH, 0).map((l) => l.message)).to.deep.equal(['kept']);
  });

  it('reads oldest first after an id, by function, from a time, and with the exact text of --filter', () => {
    const store = new FunctionLogStore(stack.db);
    stack.tx(() => {
      store.append(T0, 'storing', 'INFO', '{"failures":{"not JSON":["17"]}}');
      store.append(T0 + 1, 'aggregation', 'INFO', 'aggregated 100%');
      store.append(T0 + 2, 'storing', 'ERROR', 'Invoke Error {"errorMessage":"Disk full"}');
      store.append(T0 + 3, 'storing', null, 'a_b and NOT json');
    });
    const all = store.read(BOTH, 0);
    expect(all.map((l) => [l.function, l.time, l.level])).to.deep.equal([
      ['storing', T0, 'INFO'],
      ['aggregation', T0 + 1, 'INFO'],
      ['storing', T0 + 2, 'ERROR'],
      ['storing', T0 + 3, null],
    ]);
    expect(store.read(BOTH, Number(all[1]!.id)).map((l) => l.time)).to.deep.equal([T0 + 2, T0 + 3]);
    expect(store.read({ ...BOTH, functions: ['aggregation'] }, 0)).to.have.length(1);
    expect(store.read({ ...BOTH, since: T0 + 2 }, 0)).to.have.length(2);
    const matching = (filter: string) => store.read({ ...BOTH, filter }, 0).map((l) => l.time);
    // Case-sensitive, and %, _ and quotes are text, not LIKE's wildcards.
    expect(matching('not JSON')).to.deep.equal([T0]);
    expect(matching('NOT json')).to.deep.equal([T0 + 3]);
    expect(matching('100%')).to.deep.equal([T0 + 1]);
    expect(matching('a_b')).to.deep.equal([T0 + 3]);
    expect(matching('"Disk full"')).to.deep.equal([T0 + 2]);
    expect(matching('disk full')).to.deep.equal([]);
    expect(store.read({ ...BOTH, functions: [] }, 0)).to.deep.equal([]);
  });

  it('reads a long history in pages of 1,000 lines', () => {
    const store = new FunctionLogStore(stack.db);
    stack.tx(() => {
      for (let i = 0; i < 2_500; i++) store.append(T0 + i, 'storing', 'INFO', `line ${i}`);
    });
    const first = store.read(BOTH, 0);
    const second = store.read(BOTH, Number(first.at(-1)!.id));
    const third = store.read(BOTH, Number(second.at(-1)!.id));
    expect([first.length, second.length, third.length]).to.deep.equal([1000, 1000, 500]);
    expect(third.at(-1)!.message).to.equal('line 2499');
    expect(store.lastId()).to.equal(Number(third.at(-1)!.id));
  });

  it('keeps at most its newest lines, trimmed as it appends, and forgets the ones past 14 days', () => {
    const store = new FunctionLogStore(stack.db, 1_500);
    stack.tx(() => {
      for (let i = 0; i < 3_000; i++) store.append(T0 + i, 'storing', 'INFO', `line ${i}`);
    });
    const kept = () => stack.db.prepare('SELECT COUNT(*) FROM function_logs').pluck().get() as number;
    expect(kept()).to.equal(1_500);
    expect(store.read(BOTH, 0)[0]!.message).to.equal('line 1500');
    const removed = stack.tx(() => store.expire(T0 + 2_000 + FUNCTION_LOG_RETENTION_MS));
    expect(removed).to.equal(501);
    expect(store.read(BOTH, 0)[0]!.message).to.equal('line 2001');
  });
});
