import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Snapshot } from '../src/core/snapshot.js';
import {
  type AggregationHandler,
  type AggregationTrigger,
  createAggregationHandler,
  parseAggregationConfig,
} from '../src/functions/aggregation.js';
import { logLineOf } from '../src/functions/log.js';
import {
  DynamoEventRepository,
  DynamoSnapshotRepository,
  lambdaDocumentClient,
} from '../src/targets/aws/dynamo-repositories.js';

// Module scope: created on the first invocation and reused by the warm ones.
let client: DynamoDBDocumentClient | undefined;
let aggregation: AggregationHandler | undefined;

export const handler = async (event?: AggregationTrigger): Promise<Snapshot> => {
  if (!aggregation) {
    const config = parseAggregationConfig(process.env);
    client ??= lambdaDocumentClient();
    aggregation = createAggregationHandler({
      events: new DynamoEventRepository(client, config.eventsTable),
      snapshots: new DynamoSnapshotRepository(client, config.aggregatesTable),
      windowMinutes: config.windowMinutes,
      log: (entry) => console.log(logLineOf(entry)),
    });
  }
  return aggregation(event);
};
