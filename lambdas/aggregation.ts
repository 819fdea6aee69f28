import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Snapshot } from '../src/core/snapshot.js';
import {
  type AggregationHandler,
  type AggregationTrigger,
  createAggregationHandler,
  parseAggregationConfig,
} from '../src/functions/aggregation.js';
import { logLineOf } from '../src/functions/log.js';
import { DynamoSnapshotRepository, lambdaDocumentClient } from '../src/targets/aws/dynamo-repositories.js';
import { type CountStats, WindowCounter } from '../src/targets/aws/window-counts.js';

// Module scope: created on the first invocation and reused by the warm ones.
let client: DynamoDBDocumentClient | undefined;
let aggregation: AggregationHandler | undefined;
/** What the run's count read and wrote, logged with its entry: how the window's reads grow. */
let read: CountStats | undefined;

export const handler = async (event?: AggregationTrigger): Promise<Snapshot> => {
  if (!aggregation) {
    const config = parseAggregationConfig(process.env);
    client ??= lambdaDocumentClient();
    aggregation = createAggregationHandler({
      events: new WindowCounter(client, config.eventsTable, {
        onCount: (stats) => {
          read = stats;
        },
      }),
      snapshots: new DynamoSnapshotRepository(client, config.aggregatesTable),
      windowMinutes: config.windowMinutes,
      log: (entry) => console.log(logLineOf(entry, { read })),
    });
  }
  return aggregation(event);
};
