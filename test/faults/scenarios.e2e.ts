import path from 'node:path';
import { expect } from 'chai';
import {
  clockJump,
  concurrency,
  concurrentDeploys,
  crash,
  destroyUnderStream,
  type FaultRow,
  killDuringDeploy,
  lambdaPath,
  poison,
  producer,
  redelivery,
  signals,
  ttlEdge,
  ttlEdgeDynamo,
} from '../../faults/scenarios.js';
import { buildRoot, ensureBuilt } from '../../testkit/build.js';

/** Nothing lost, nothing counted twice, and every other rule of the scenario held. */
function expectClean(row: FaultRow): void {
  expect(row, JSON.stringify(row)).to.deep.include({ lost: 0, countedTwice: 0, problems: '' });
  expect(row.accepted).to.be.greaterThan(0);
}

describe('faults (small counts; npm run faults runs them large)', function () {
  this.timeout(120_000);
  let bin: string;
  let bundle: string;

  before(async function () {
    await ensureBuilt.call(this);
    bin = path.join(await buildRoot(), 'bin', 'run.js');
    bundle = path.join(await buildRoot(), 'dist', 'lambdas', 'storing.js');
  });

  it('poison mixed into good messages: good ones stored once, poison dead-lettered', async () => {
    const row = await poison(300, 12);
    expectClean(row);
    expect(row).to.deep.include({ stored: 300, deadLetters: 12 });
  });

  it('every batch delivered three times: stored and counted once', async () => {
    const row = await redelivery(450, 100);
    expectClean(row);
    expect(row.stored).to.equal(450);
  });

  it('stream killed with SIGKILL: what the queue accepted is stored once after a restart', async () => {
    expectClean(await crash(bin, 3));
  });

  it('the Lambda path with poison and DynamoDB faults: good events stored once, poison dead-lettered', async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const row = await lambdaPath({ bundle, good: 200, bad: 6, faultRate: 0.3 });
    expectClean(row);
    expect(row).to.deep.include({ stored: 200, deadLetters: 6 });
    expect(row.scenario).to.not.match(/, 0 DynamoDB faults/);
  });

  it('the Lambda bundle running every batch three times: stored and counted once', async () => {
    const row = await lambdaPath({ bundle, good: 300, bad: 0, faultRate: 0, deliveries: 3 });
    expectClean(row);
    expect(row.stored).to.equal(300);
  });

  it('SIGINT and SIGTERM during streams and aggregate --watch: exit 0, and what was sent is stored', async () => {
    expectClean(await signals(bin, 2));
  });

  it('SQS faults while streaming: every event counted as sent is in the queue, none failed', async () => {
    const row = await producer(500, 0.3);
    expectClean(row);
    expect(row).to.deep.include({ accepted: 500, stored: 500 });
    expect(row.scenario).to.not.match(/, 0 SQS faults/);
  });

  it('four streams and aggregate --watch on one stack: exact, no lock error', async () => {
    const row = await concurrency(bin, 300);
    expectClean(row);
    expect(row.stored).to.equal(1200);
  });

  it('destroy under a live stream and a watch: both stop (exit 3), nothing reported sent is missing from the stack destroyed', async () => {
    const row = await destroyUnderStream(bin, 2);
    expectClean(row);
  });

  it('eight deploys at the same moment, each with a flag of its own: every flag survives, one "created"', async () => {
    const row = await concurrentDeploys(bin, 2);
    expectClean(row);
    expect(row.accepted).to.equal(16);
  });

  it('deploys killed at random moments: no stack, the stack as it was, or the complete one (mode 0600)', async () => {
    const row = await killDuringDeploy(bin, 4);
    expectClean(row);
  });

  it("TTL at the window's edge (W = TTL = 1 minute), expiry before every aggregation: no snapshot low", async () => {
    expectClean(await ttlEdge(150));
  });

  it("TTL at the window's edge on DynamoDB, items deleted as soon as they expire: no snapshot low", async () => {
    expectClean(await ttlEdgeDynamo(60));
  });

  it('a clock jump forward and back: the future snapshot replaced, the schedule fires again, nothing lost', async () => {
    const row = await clockJump(600);
    expectClean(row);
    expect(row.stored).to.equal(600);
  });
});
