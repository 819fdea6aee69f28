/**
 * What `show`, `status` and `aggregate` read from a stack, with the --json document each returns:
 * one definition for the commands (which also render it) and for bin/run.js's fast path, which runs
 * their --json without oclif (src/cli/fast-json.ts). A field added to their --json goes here.
 */

import type { PipelineHealth } from '../core/dashboard.js';
import { SensorpipeError } from '../core/errors.js';
import type { Snapshot } from '../core/snapshot.js';
import type { Pipeline, PipelineHealthReader, StackLifecycle, StackStatus } from '../targets/target.js';
import { type SnapshotJson, type StatusJson, snapshotJson, statusJson } from './contracts.js';

export interface Read<T, J> {
  value: T;
  json: J;
}

/** The latest snapshot, or none before the first aggregation (null in --json). */
export async function readLatestSnapshot(
  target: Pipeline,
): Promise<Read<Snapshot | undefined, SnapshotJson | null>> {
  const value = await target.latestSnapshot();
  return { value, json: value ? snapshotJson(value) : null };
}

export async function readStatus(target: StackLifecycle): Promise<Read<StackStatus, StatusJson>> {
  const value = await target.status();
  return { value, json: statusJson(value) };
}

/** Runs the aggregation now. */
export async function runAggregation(
  target: Pipeline,
  options?: Parameters<Pipeline['aggregate']>[0],
): Promise<Read<Snapshot, SnapshotJson>> {
  const value = await target.aggregate(options);
  return { value, json: snapshotJson(value) };
}

/**
 * One refresh of `aggregate --watch`: the aggregation, then the pipeline's health (after it, so the
 * storing the aggregation caught up on locally is counted). What the user's environment refuses
 * (an identity that may invoke but not read a queue's depth, a throttled read) is never worth
 * failing the watch for: then health is null, every figure n/a. A bug is not hidden that way.
 * On AWS this is one Invoke and one GetQueueAttributes per queue.
 */
export async function readDashboard(
  target: Pipeline & PipelineHealthReader,
  options?: Parameters<Pipeline['aggregate']>[0],
): Promise<{ snapshot: Snapshot; health: PipelineHealth | null }> {
  const snapshot = await target.aggregate(options);
  const health = await target.health().catch((error: unknown) => {
    if (error instanceof SensorpipeError) return null;
    throw error;
  });
  return { snapshot, health };
}
