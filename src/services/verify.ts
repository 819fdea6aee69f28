import { type Clock, systemClock } from '../core/clock.js';
import type { Snapshot } from '../core/snapshot.js';
import { tally } from '../core/snapshot.js';
import type { StreamStats } from '../core/streamer.js';
import { inWindow } from '../core/window.js';
import type { Pipeline, Verification } from '../targets/target.js';
import { runStream } from './stream.js';

export interface CountyComparison {
  county: string;
  expected: number;
  actual: number;
  difference: number;
}

export interface VerifyReport {
  match: boolean;
  sent: number;
  skipped: number;
  failed: number;
  stored: number;
  expectedTotal: number;
  actualTotal: number;
  windowStart: string;
  windowEnd: string;
  counties: CountyComparison[];
  interrupted: boolean;
  /**
   * Events in the window that verify did not send (another stream on the same stack): on AWS they
   * are reported, not counted as a difference. Always 0 locally, where the stack is verify's own.
   */
  otherEvents: number;
}

export interface VerifyRequest {
  file: string;
  intervalMs: number;
  limit?: number;
  /** How long to wait for the storing function to store every event sent (AWS: Lambda runs apart). */
  waitMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  onProgress?: (stats: StreamStats) => void;
  onStage?: (stage: string) => void;
}

/**
 * Streams the file, keeping every event the queue accepted; waits until the storing function has
 * stored them all (looked up by their keys, so other events do not matter); runs the aggregation and
 * compares its counts with counts computed here in the same window. On a pipeline of verify's own
 * every count must match; on a shared one a county may count more (other traffic, reported), never less.
 */
export async function checkPipeline(
  verification: Verification,
  request: VerifyRequest,
): Promise<VerifyReport> {
  const { pipeline, exclusive } = verification;
  const clock = request.clock ?? systemClock;
  const { accepted, report } = await streamAndRecord(pipeline, request);
  const deadline = clock.now() + request.waitMs;
  let stored = await pipeline.countStored(accepted);
  while (stored < accepted.length && clock.now() < deadline && !request.signal?.aborted) {
    request.onStage?.(`waiting for the storing function: ${stored} of ${accepted.length} stored`);
    await clock.sleep(request.pollMs ?? 2000, request.signal);
    stored = await pipeline.countStored(accepted);
  }
  request.onStage?.('aggregating');
  const snapshot = await pipeline.aggregate();
  const result = compare(accepted, snapshot, report.stats, stored, report.interrupted, {
    otherTraffic: !exclusive,
  });
  return { ...result, match: result.match && stored === accepted.length };
}

/** Streams the file once, keeping the id, county and time of every event the queue accepted. */
async function streamAndRecord(pipeline: Pipeline, request: VerifyRequest) {
  const accepted: { id: string; county: string; time: number }[] = [];
  request.onStage?.('streaming');
  const report = await runStream({
    target: pipeline,
    file: request.file,
    loop: false,
    intervalMs: request.intervalMs,
    limit: request.limit,
    signal: request.signal,
    onProgress: request.onProgress,
    onAccepted: (events) => {
      for (const e of events) accepted.push({ id: e.id, county: e.county, time: e.time });
    },
  });
  return { accepted, report };
}

export function compare(
  accepted: readonly { county: string; time: number }[],
  snapshot: Snapshot,
  stats: Pick<StreamStats, 'sent' | 'skipped' | 'failed'>,
  stored: number,
  interrupted = false,
  options: { otherTraffic?: boolean } = {},
): VerifyReport {
  const window = {
    start: Date.parse(snapshot.windowStart),
    end: Date.parse(snapshot.windowEnd),
    minutes: snapshot.windowMinutes,
  };
  const expected = new Map<string, number>();
  for (const e of accepted) if (inWindow(window, e.time)) tally(expected, e.county);
  const actual = new Map(snapshot.counties.map((c) => [c.county, c.count]));
  const names = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  const counties = names.map((county) => {
    const e = expected.get(county) ?? 0;
    const a = actual.get(county) ?? 0;
    return { county, expected: e, actual: a, difference: a - e };
  });
  const expectedTotal = counties.reduce((s, c) => s + c.expected, 0);
  // With other traffic allowed, a county may count more than verify sent, never less.
  const fits = (difference: number) => (options.otherTraffic ? difference >= 0 : difference === 0);
  return {
    match:
      !interrupted &&
      stats.failed === 0 &&
      fits(snapshot.total - expectedTotal) &&
      counties.every((c) => fits(c.difference)),
    sent: stats.sent,
    skipped: stats.skipped,
    failed: stats.failed,
    stored,
    expectedTotal,
    actualTotal: snapshot.total,
    windowStart: snapshot.windowStart,
    windowEnd: snapshot.windowEnd,
    counties,
    interrupted,
    otherEvents: options.otherTraffic ? Math.max(0, snapshot.total - expectedTotal) : 0,
  };
}
