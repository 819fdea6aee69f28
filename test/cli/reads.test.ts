import { expect } from 'chai';
import { readDashboard } from '../../src/cli/reads.js';
import type { PipelineHealth } from '../../src/core/dashboard.js';
import { EnvironmentError } from '../../src/core/errors.js';
import { buildSnapshot } from '../../src/core/snapshot.js';
import { windowAt } from '../../src/core/window.js';
import type { Pipeline, PipelineHealthReader } from '../../src/targets/target.js';
import { rejection } from '../../testkit/rejection.js';

const NOW = Date.UTC(2026, 11, 1, 12);
const SNAPSHOT = buildSnapshot(new Map([['Erie', 3]]), windowAt(NOW, 5), NOW);
const HEALTH: PipelineHealth = {
  at: NOW,
  sentCount: 10,
  storedCount: 9,
  queue: { visible: 1, inFlight: 0, deadLetters: 0, approximate: false },
  newestEventTime: NOW - 500,
  lastScheduledRun: null,
  nextScheduledRun: null,
};

/** A target whose aggregation returns SNAPSHOT, and whose health() is `health`. */
function target(health: () => Promise<PipelineHealth>) {
  const calls: string[] = [];
  const t = {
    aggregate: async () => {
      calls.push('aggregate');
      return SNAPSHOT;
    },
    health: async () => {
      calls.push('health');
      return health();
    },
  } as unknown as Pipeline & PipelineHealthReader;
  return { t, calls };
}

describe('cli/reads: readDashboard', () => {
  it('aggregates, then reads the health (so what the aggregation stored is counted)', async () => {
    const { t, calls } = target(async () => HEALTH);
    expect(await readDashboard(t)).to.deep.equal({ snapshot: SNAPSHOT, health: HEALTH });
    expect(calls).to.deep.equal(['aggregate', 'health']);
  });

  it('goes on with every health figure n/a when the environment refuses the read (a permission)', async () => {
    const { t } = target(async () => {
      throw new EnvironmentError('AWS denied the request: sqs:GetQueueAttributes.', 'AWS_ACCESS_DENIED');
    });
    expect(await readDashboard(t)).to.deep.equal({ snapshot: SNAPSHOT, health: null });
  });

  it('does not hide a bug behind n/a: anything else fails the refresh', async () => {
    const { t } = target(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'visible')");
    });
    expect(await rejection(readDashboard(t))).to.be.instanceOf(TypeError);
  });
});
