import type { ScheduledEvent } from 'aws-lambda';
import { aggregate } from '../core/aggregation.js';
import { WINDOW_MINUTES_DEFAULT } from '../core/parameter-defaults.js';
import type { SnapshotRepository, WindowCounts } from '../core/repositories.js';
import type { Snapshot } from '../core/snapshot.js';
import { type FunctionEnvironment, positiveIntegerEnv, requiredEnv } from './environment.js';
import type { AggregationLogEntry, LogSink } from './log.js';

export interface AggregationConfig {
  eventsTable: string;
  aggregatesTable: string;
  windowMinutes: number;
}

/** The aggregation function's settings, from the variables templates/pipeline.yaml gives it. */
export function parseAggregationConfig(env: FunctionEnvironment): AggregationConfig {
  return {
    eventsTable: requiredEnv(env, 'EVENTS_TABLE'),
    aggregatesTable: requiredEnv(env, 'AGGREGATES_TABLE'),
    windowMinutes: positiveIntegerEnv(env, 'WINDOW_MINUTES', WINDOW_MINUTES_DEFAULT),
  };
}

export interface AggregationHandlerDeps {
  events: WindowCounts;
  snapshots: SnapshotRepository;
  windowMinutes: number;
  log: LogSink<AggregationLogEntry>;
  /** Unix ms; Date.now by default. */
  now?: () => number;
}

/**
 * What triggers it: the EventBridge schedule, or `sensorpipe aggregate`, which invokes it with no
 * payload (Lambda passes `{}`). The function reads neither.
 */
export type AggregationTrigger = ScheduledEvent | Record<string, never>;

export type AggregationHandler = (event?: AggregationTrigger) => Promise<Snapshot>;

/**
 * The aggregation function: core's aggregate over the repositories. Returns the snapshot so a
 * caller can print it without reading it back.
 */
export function createAggregationHandler(deps: AggregationHandlerDeps): AggregationHandler {
  const now = deps.now ?? Date.now;
  return async () => {
    const snapshot = await aggregate(now(), deps);
    deps.log({
      function: 'aggregation',
      windowEnd: snapshot.windowEnd,
      total: snapshot.total,
      counties: snapshot.counties.length,
    });
    return snapshot;
  };
}
