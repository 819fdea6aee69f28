/**
 * What `show`, `status` and `aggregate` read from a stack, with the --json document each returns:
 * one definition for the commands (which also render it) and for bin/run.js's fast path, which runs
 * their --json without oclif (src/cli/fast-json.ts). A field added to their --json goes here.
 */
import type { Snapshot } from '../core/snapshot.js';
import type { Pipeline, StackLifecycle, StackStatus } from '../targets/target.js';
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
