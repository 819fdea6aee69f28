import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Clock } from '../../core/clock.js';
import type { StackParameters } from '../../core/parameters.js';
import type { Snapshot } from '../../core/snapshot.js';
import {
  type AggregationHandler,
  type AggregationTrigger,
  createAggregationHandler,
  parseAggregationConfig,
} from '../../functions/aggregation.js';
import type { FunctionEnvironment } from '../../functions/environment.js';
import type { LogSink, StoringLogEntry } from '../../functions/log.js';
import { createStoringHandler, parseStoringConfig, type StoringHandler } from '../../functions/storing.js';
import type { SqliteEventRepository, SqliteSnapshotRepository } from './repositories.js';

/** The SQLite tables that play the stack's DynamoDB tables. */
export const LOCAL_TABLES = { events: 'events', aggregates: 'aggregates' } as const;

/**
 * The storing function's Environment.Variables as templates/pipeline.yaml sets them (CloudFormation
 * passes a Number parameter as its decimal string), with the local tables for the table references.
 */
export function storingEnvironment(parameters: StackParameters): FunctionEnvironment {
  return { EVENTS_TABLE: LOCAL_TABLES.events, EVENT_TTL_MINUTES: String(parameters.EventTtlMinutes) };
}

/** The aggregation function's Environment.Variables, as storingEnvironment. */
export function aggregationEnvironment(parameters: StackParameters): FunctionEnvironment {
  return {
    EVENTS_TABLE: LOCAL_TABLES.events,
    AGGREGATES_TABLE: LOCAL_TABLES.aggregates,
    WINDOW_MINUTES: String(parameters.WindowMinutes),
  };
}

export interface LocalFunctionsDeps {
  events: SqliteEventRepository;
  snapshots: SqliteSnapshotRepository;
  parameters: StackParameters;
  clock: Clock;
  /** Every entry either function logs, as it logs it. */
  log: LogSink;
}

/**
 * A local stack's two functions: the handlers that run on Lambda (src/functions/), configured by
 * the same parsers from the environment the template gives them, over the SQLite repositories.
 * Created once, as a warm Lambda container keeps its handler.
 */
export class LocalFunctions {
  private readonly storing: StoringHandler;
  private readonly aggregation: AggregationHandler;
  private storingLog: StoringLogEntry | undefined;

  constructor(deps: LocalFunctionsDeps) {
    const storing = parseStoringConfig(storingEnvironment(deps.parameters));
    this.storing = createStoringHandler({
      events: deps.events,
      ttlMinutes: storing.ttlMinutes,
      log: (entry) => {
        this.storingLog = entry;
        deps.log(entry);
      },
    });
    const aggregation = parseAggregationConfig(aggregationEnvironment(deps.parameters));
    this.aggregation = createAggregationHandler({
      events: deps.events,
      snapshots: deps.snapshots,
      windowMinutes: aggregation.windowMinutes,
      now: () => deps.clock.now(),
      log: deps.log,
    });
  }

  /**
   * Invokes the storing function on one batch. Its response says which messages failed; the entry
   * it logged says why (one invocation runs at a time: the runtime serializes them).
   */
  async store(event: SQSEvent): Promise<{ response: SQSBatchResponse; reasons: Map<string, string> }> {
    this.takeStoringLog();
    const response = await this.storing(event);
    const reasons = new Map<string, string>();
    for (const [reason, ids] of Object.entries(this.takeStoringLog()?.failures ?? {}))
      for (const id of ids) reasons.set(id, reason);
    return { response, reasons };
  }

  private takeStoringLog(): StoringLogEntry | undefined {
    const entry = this.storingLog;
    this.storingLog = undefined;
    return entry;
  }

  aggregate(trigger: AggregationTrigger): Promise<Snapshot> {
    return this.aggregation(trigger);
  }
}
