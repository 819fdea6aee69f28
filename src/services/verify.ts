import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../core/snapshot.js';
import { tally } from '../core/snapshot.js';
import type { StreamStats } from '../core/streamer.js';
import { inWindow } from '../core/window.js';
import type { Target } from '../targets/target.js';
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

/** A target that can say how many of given events its events table holds (AWS: by their keys). */
export interface StoredEventCounter {
  countStored(events: readonly { id: string; time: number }[]): Promise<number>;
}

export function isStoredEventCounter(target: Target): target is Target & StoredEventCounter {
  return typeof (target as Partial<StoredEventCounter>).countStored === 'function';
}

export interface DeployedVerifyRequest extends VerifyRequest {
  /** How long to wait for the storing function to store every event sent. */
  waitMs: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface VerifyRequest {
  file: string;
  intervalMs: number;
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (stats: StreamStats) => void;
  onStage?: (stage: string) => void;
}

/**
 * The end-to-end check: streams the file into a fresh temporary local stack, waits until the queue
 * is drained, runs the aggregation and compares its counts with counts computed here from the
 * events the queue accepted, in the same window. Cleans up whatever happens.
 */
export async function verifyLocal(request: VerifyRequest): Promise<VerifyReport> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorpipe-verify-'));
  const { LocalTarget } = await import('../targets/local/local-target.js');
  const target = new LocalTarget({ dataDir: dir, stackName: 'verify' });
  try {
    request.onStage?.('deploying a temporary local stack');
    await target.deploy({ ScheduleEnabled: false });
    return await verifyOn(target, request);
  } finally {
    await target.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The end-to-end check of a deployed stack (AWS), which other traffic may share: streams the file,
 * waits until the storing function has stored every event the queue accepted (looked up by their
 * keys, so other events do not matter), runs the aggregation, and checks that every county counts at
 * least verify's own events of the window. Counts above that are other traffic, and are reported.
 */
export async function verifyDeployed(
  target: Target & StoredEventCounter,
  request: DeployedVerifyRequest,
): Promise<VerifyReport> {
  const sleep = request.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { accepted, report } = await streamAndRecord(target, request);
  const deadline = Date.now() + request.waitMs;
  let stored = await target.countStored(accepted);
  while (stored < accepted.length && Date.now() < deadline && !request.signal?.aborted) {
    request.onStage?.(`waiting for the storing function: ${stored} of ${accepted.length} stored`);
    await sleep(request.pollMs ?? 2000);
    stored = await target.countStored(accepted);
  }
  request.onStage?.('aggregating');
  const snapshot = await target.aggregate();
  const result = compare(accepted, snapshot, report.stats, stored, report.interrupted, {
    otherTraffic: true,
  });
  return { ...result, match: result.match && stored === accepted.length };
}

/** Streams the file once, keeping the id, county and time of every event the queue accepted. */
async function streamAndRecord(target: Target, request: VerifyRequest) {
  const accepted: { id: string; county: string; time: number }[] = [];
  request.onStage?.('streaming');
  const report = await runStream({
    target,
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

export async function verifyOn(target: Target, request: VerifyRequest): Promise<VerifyReport> {
  const { accepted, report } = await streamAndRecord(target, request);
  request.onStage?.('aggregating');
  const snapshot = await target.aggregate();
  return compare(accepted, snapshot, report.stats, report.drain.stored ?? 0, report.interrupted);
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
