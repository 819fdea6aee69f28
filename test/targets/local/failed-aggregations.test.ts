import { expect } from 'chai';
import { loadTemplate } from '../../../src/targets/aws/template.js';
import {
  FAILED_AGGREGATION_RETENTION_MS,
  FailedAggregations,
} from '../../../src/targets/local/failed-aggregations.js';
import { type LocalStack, makeTempDir, openStack, removeTempDir, T0 } from '../../../testkit/local.js';
import { parseTemplate } from '../../../testkit/template-parser.js';

describe('local failed aggregations', () => {
  let dir: string;
  let stack: LocalStack;
  let failed: FailedAggregations;

  beforeEach(() => {
    dir = makeTempDir();
    stack = openStack(dir);
    failed = new FailedAggregations(stack.db);
  });
  afterEach(() => {
    stack.db.close();
    removeTempDir(dir);
  });

  it('keeps a failure as long as the AWS failure queue keeps a failed run: 14 days', () => {
    const retention = parseTemplate(loadTemplate()).Resources.AggregationFailureQueue!.Properties!
      .MessageRetentionPeriod as number;
    expect(FAILED_AGGREGATION_RETENTION_MS).to.equal(retention * 1000);
    stack.tx(() => failed.record(T0, new Error('one')));
    stack.tx(() => failed.record(T0 + 1000, 'two'));
    expect(failed.count(T0 + 1000)).to.equal(2);
    expect(failed.count(T0 + FAILED_AGGREGATION_RETENTION_MS - 1)).to.equal(2);
    expect(failed.count(T0 + FAILED_AGGREGATION_RETENTION_MS)).to.equal(1);
    expect(stack.tx(() => failed.expire(T0 + FAILED_AGGREGATION_RETENTION_MS))).to.equal(1);
    expect(stack.db.prepare('SELECT error FROM failed_aggregations').pluck().all()).to.deep.equal(['two']);
  });

  it("writes only inside the caller's transaction", () => {
    expect(() => failed.record(T0, 'x')).to.throw(/inside the caller's transaction/);
    expect(() => failed.expire(T0)).to.throw(/inside the caller's transaction/);
  });
});
