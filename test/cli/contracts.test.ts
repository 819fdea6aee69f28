import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import {
  deadLettersJson,
  deployJson,
  destroyJson,
  logJson,
  redriveJson,
  snapshotJson,
  statusJson,
  streamJson,
  verifyJson,
  watchJson,
  withExitCodes,
} from '../../src/cli/contracts.js';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import type { DeployResult, StackStatus } from '../../src/targets/target.js';

/** The keys of a JSON document, sorted: what a script may rely on. */
const keys = (value: object) => Object.keys(value).sort();

const deployed: Omit<DeployResult, 'details'> = {
  stackName: 's',
  target: 'local',
  action: 'created',
  location: '/d/s.sqlite',
  parameters: { ...DEFAULT_PARAMETERS },
  changes: [{ parameter: 'BatchSize', from: null, to: 100 }],
};

const status: StackStatus = {
  stackName: 's',
  target: 'local',
  deployed: true,
  location: '/d/s.sqlite',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  parameters: { ...DEFAULT_PARAMETERS },
  queue: { visible: 1, inFlight: 2, deadLetters: 3, oldestDeadLetterAgeSeconds: 4, approximate: false },
  eventsStored: 5,
  lastAggregation: null,
  nextScheduledRun: null,
  failedAggregations: 0,
  clockErrors: [],
  details: { kind: 'local' },
};

describe('cli/contracts: the --json shapes scripts rely on', () => {
  it('deploy: the same keys on both targets, plus the change set and outputs on AWS', () => {
    const common = ['action', 'changes', 'location', 'parameters', 'stackName', 'target'];
    expect(keys(deployJson({ ...deployed, details: { kind: 'local', migratedFrom: 1 } }))).to.deep.equal(
      common,
    );
    const aws = deployJson({
      ...deployed,
      target: 'aws',
      details: { kind: 'aws', resourceChanges: [], outputs: { QueueUrl: 'q' } },
    });
    expect(keys(aws)).to.deep.equal([...common, 'outputs', 'resourceChanges'].sort());
    expect(aws.outputs).to.deep.equal({ QueueUrl: 'q' });
  });

  it('status: every figure, the queue without internal flags, and on AWS the stack status and outputs', () => {
    const local = statusJson(status);
    expect(keys(local)).to.deep.equal(
      [
        'clockErrors',
        'createdAt',
        'deployed',
        'eventsStored',
        'failedAggregations',
        'lastAggregation',
        'location',
        'nextScheduledRun',
        'parameters',
        'queue',
        'stackName',
        'target',
        'updatedAt',
      ].sort(),
    );
    expect(local.queue).to.deep.equal({
      visible: 1,
      inFlight: 2,
      deadLetters: 3,
      oldestDeadLetterAgeSeconds: 4,
    });
    const aws = statusJson({
      ...status,
      target: 'aws',
      details: {
        kind: 'aws',
        stackStatus: 'X',
        outputs: {},
        region: 'eu-west-1',
        console: { Stack: 'https://c' },
      },
    });
    expect(aws).to.deep.include({
      stackStatus: 'X',
      outputs: {},
      region: 'eu-west-1',
      console: { Stack: 'https://c' },
    });
    expect(keys(aws)).to.deep.equal([...keys(local), 'console', 'outputs', 'region', 'stackStatus'].sort());
    expect(local.failedAggregations).to.equal(0);
    expect(aws.failedAggregations).to.equal(0);

    const ahead = statusJson({
      ...status,
      clockErrors: [
        { subject: 'lastAggregation', time: '2026-01-02T00:00:00.000Z', aheadSeconds: 86_400 },
        { subject: 'scheduleSlot', time: '2026-01-02T00:01:00.000Z', aheadSeconds: 86_460 },
      ],
    });
    expect(local.clockErrors).to.deep.equal([]);
    expect(ahead.clockErrors.map(keys)).to.deep.equal([
      ['aheadSeconds', 'subject', 'time'],
      ['aheadSeconds', 'subject', 'time'],
    ]);
    expect(ahead.clockErrors[1]).to.deep.equal({
      subject: 'scheduleSlot',
      time: '2026-01-02T00:01:00.000Z',
      aheadSeconds: 86_460,
    });
    const missing = statusJson({
      ...status,
      deployed: false,
      queue: null,
      failedAggregations: null,
      details: null,
    });
    expect(missing.queue).to.equal(null);
    expect(missing.failedAggregations).to.equal(null);
    expect(keys(missing)).to.deep.equal(keys(local));
  });

  it('snapshot: exactly the six fields, counties as county and count only', () => {
    const json = snapshotJson({
      updated: 'u',
      windowStart: 's',
      windowEnd: 'e',
      windowMinutes: 5,
      total: 1,
      counties: [{ county: 'Erie', count: 1, extra: true } as { county: string; count: number }],
      ...({ internal: 1 } as object),
    });
    expect(keys(json)).to.deep.equal([
      'counties',
      'total',
      'updated',
      'windowEnd',
      'windowMinutes',
      'windowStart',
    ]);
    expect(json.counties).to.deep.equal([{ county: 'Erie', count: 1 }]);
  });

  it("aggregate --watch: the snapshot's six fields and health, its figures rounded to a tenth, null where n/a", () => {
    const snapshot = {
      updated: 'u',
      windowStart: 's',
      windowEnd: 'e',
      windowMinutes: 5,
      total: 1,
      counties: [{ county: 'Erie', count: 1 }],
    };
    const json = watchJson(snapshot, {
      sentPerSecond: 12.345,
      storedPerSecond: null,
      queue: { visible: 1, inFlight: 2, deadLetters: 3, approximate: true },
      deadLettersGrew: true,
      storingLagSeconds: 0.06,
      lastScheduledRun: null,
      nextScheduledRun: '2026-01-01T00:01:00.000Z',
      ...({ internal: 1 } as object),
    });
    expect(keys(json)).to.deep.equal([...keys(snapshotJson(snapshot)), 'health'].sort());
    expect(json.health).to.deep.equal({
      sentPerSecond: 12.3,
      storedPerSecond: null,
      queue: { visible: 1, inFlight: 2, deadLetters: 3 },
      deadLettersGrew: true,
      storingLagSeconds: 0.1,
      lastScheduledRun: null,
      nextScheduledRun: '2026-01-01T00:01:00.000Z',
    });
    const unread = watchJson(snapshot, {
      sentPerSecond: null,
      storedPerSecond: null,
      queue: null,
      deadLettersGrew: false,
      storingLagSeconds: null,
      lastScheduledRun: null,
      nextScheduledRun: null,
    });
    expect(unread.health.queue).to.equal(null);
  });

  it('stream: the counts, and whether the rate asked for was held, rates and times rounded to a tenth', () => {
    const live = {
      holdingRatePerSecond: 2_900,
      behindMs: 0,
      inFlight: 0,
      inFlightLimit: 256,
      throttles: 7,
      busyShare: 0.5,
    };
    const json = streamJson({
      sent: 3,
      skipped: 1,
      failed: 0,
      elapsedMs: 10,
      ratePerSecond: 12.345,
      askedRatePerSecond: 10_000 / 3,
      rateHeld: false,
      limitedBy: 'round-trip',
      maxBehindMs: 4_321,
      maxInFlight: 256,
      roundTripMs: 50.04,
      ...live,
    });
    expect(json).to.deep.equal({
      sent: 3,
      skipped: 1,
      failed: 0,
      elapsedMs: 10,
      ratePerSecond: 12.3,
      askedRatePerSecond: 3333.3,
      rateHeld: false,
      limitedBy: 'round-trip',
      maxBehindMs: 4_321,
      maxInFlight: 256,
      roundTripMs: 50,
    });
    const unthrottled = streamJson({
      sent: 0,
      skipped: 0,
      failed: 0,
      elapsedMs: 0,
      ratePerSecond: 0,
      askedRatePerSecond: null,
      rateHeld: null,
      limitedBy: null,
      maxBehindMs: null,
      maxInFlight: 0,
      roundTripMs: null,
      ...live,
    });
    expect(keys(unthrottled)).to.deep.equal(keys(json));
    expect(unthrottled).to.deep.include({ askedRatePerSecond: null, rateHeld: null, roundTripMs: null });
  });

  it('verify, destroy, dead-letters and redrive keep their fields', () => {
    const report = verifyJson({
      match: true,
      sent: 1,
      skipped: 0,
      failed: 0,
      stored: 1,
      expectedTotal: 1,
      actualTotal: 1,
      windowStart: 's',
      windowEnd: 'e',
      counties: [{ county: 'Erie', expected: 1, actual: 1, difference: 0 }],
      interrupted: false,
      otherEvents: 0,
    });
    expect(keys(report)).to.deep.equal(
      [
        'actualTotal',
        'counties',
        'expectedTotal',
        'failed',
        'interrupted',
        'match',
        'otherEvents',
        'sent',
        'skipped',
        'stored',
        'windowEnd',
        'windowStart',
      ].sort(),
    );
    expect(
      keys(destroyJson({ stackName: 's', target: 'aws', destroyed: true, location: 'l' })),
    ).to.deep.equal(['destroyed', 'location', 'stackName', 'target']);
    const [letter] = deadLettersJson([
      {
        messageId: 'm',
        receiveCount: 5,
        sentAt: null,
        deadAt: null,
        error: null,
        body: 'b',
        bodyTruncated: false,
      },
    ]);
    expect(keys(letter!)).to.deep.equal(
      ['body', 'bodyTruncated', 'deadAt', 'error', 'messageId', 'receiveCount', 'sentAt'].sort(),
    );
    expect(redriveJson({ moved: 2, remaining: 1 })).to.deep.equal({ moved: 2, remaining: 1 });
  });

  it('logs: one object per line, the time as ISO 8601, and the entry parsed where the line is one', () => {
    const entry = {
      function: 'storing' as const,
      records: 2,
      stored: 1,
      failed: 1,
      failures: { bad: ['m'] },
    };
    const line = {
      function: 'storing' as const,
      time: Date.UTC(2026, 11, 1, 13, 50, 15, 5),
      level: 'INFO',
      message: JSON.stringify(entry),
      id: 'internal',
    };
    expect(logJson(line)).to.deep.equal({
      function: 'storing',
      timestamp: '2026-12-01T13:50:15.005Z',
      level: 'INFO',
      message: JSON.stringify(entry),
      entry,
    });
    expect(logJson({ ...line, level: null, message: 'START RequestId: r' })).to.deep.equal({
      function: 'storing',
      timestamp: '2026-12-01T13:50:15.005Z',
      level: null,
      message: 'START RequestId: r',
      entry: null,
    });
    // Only INFO lines carry entries: an error that happens to look like one is not one.
    expect(logJson({ ...line, level: 'ERROR' }).entry).to.equal(null);
  });

  it('every command lists its exit codes in --help', async () => {
    const dir = new URL('../../src/commands/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const command = (await import(new URL(file, dir).href)).default as { description?: string };
      expect(command.description, file).to.match(/Exit codes:\n {2}0 {2}.+\n {2}1 {2}.+\n {2}2 /);
      expect(command.description, file).to.include('130  ');
    }
    expect(withExitCodes('x', { 1: 'mine' })).to.include('  1  mine');
  });
});
