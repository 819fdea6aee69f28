import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { aggregate } from '../src/core/aggregation.js';
import { DEFAULT_PARAMETERS } from '../src/core/parameters.js';
import type { EventRepository, SnapshotRepository } from '../src/core/repositories.js';
import type { Snapshot } from '../src/core/snapshot.js';
import {
  DynamoEventRepository,
  DynamoSnapshotRepository,
  lambdaDocumentClient,
} from '../src/targets/aws/dynamo-repositories.js';
import { positiveIntegerEnv, requiredEnv } from './storing.js';

export interface AggregationHandlerDeps {
  events: EventRepository;
  snapshots: SnapshotRepository;
  windowMinutes: number;
  /** Unix ms; Date.now by default. */
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * The aggregation function (EventBridge schedule, or invoked by `sensorpipe aggregate`): core's
 * aggregate over the DynamoDB repositories. Returns the snapshot so a caller can print it
 * without reading it back.
 */
export function createHandler(deps: AggregationHandlerDeps): (event?: unknown) => Promise<Snapshot> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.log(line));
  return async () => {
    const snapshot = await aggregate(now(), deps);
    log(
      JSON.stringify({
        function: 'aggregation',
        windowEnd: snapshot.windowEnd,
        total: snapshot.total,
        counties: snapshot.counties.length,
      }),
    );
    return snapshot;
  };
}

let client: DynamoDBDocumentClient | undefined;
let aggregation: ((event?: unknown) => Promise<Snapshot>) | undefined;

export const handler = async (event?: unknown): Promise<Snapshot> => {
  if (!aggregation) {
    client ??= lambdaDocumentClient();
    aggregation = createHandler({
      events: new DynamoEventRepository(client, requiredEnv(process.env, 'EVENTS_TABLE')),
      snapshots: new DynamoSnapshotRepository(client, requiredEnv(process.env, 'AGGREGATES_TABLE')),
      windowMinutes: positiveIntegerEnv(process.env, 'WINDOW_MINUTES', DEFAULT_PARAMETERS.WindowMinutes),
    });
  }
  return aggregation(event);
};
