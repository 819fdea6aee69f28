import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AggregationConfig,
  type AggregationTrigger,
  createAggregationHandler,
  parseAggregationConfig,
} from '../src/functions/aggregation.js';
import { logLineOf } from '../src/functions/log.js';
import { DynamoSnapshotRepository, lambdaDocumentClient } from '../src/targets/aws/dynamo-repositories.js';
import type { AggregationPayload } from '../src/targets/aws/lambda-invoker.js';
import { type CountStats, type StoringMarks, WindowCounter } from '../src/targets/aws/window-counts.js';

export type DeployedAggregation = (event?: AggregationTrigger) => Promise<AggregationPayload>;

/**
 * The aggregation function as deployed: core's handler over the DynamoDB tables, logging what each
 * run's count read, and returning with the snapshot what the count read of the storing side (the
 * dashboard's storing lag and rate). The tests of the AWS target invoke it through a Lambda mock.
 */
export function createDeployedAggregation(
  client: DynamoDBDocumentClient,
  config: AggregationConfig,
  options: { log?: (line: string) => void; now?: () => number } = {},
): DeployedAggregation {
  const log = options.log ?? console.log;
  let read: CountStats | undefined;
  let storing: StoringMarks | undefined;
  const aggregation = createAggregationHandler({
    events: new WindowCounter(client, config.eventsTable, {
      onCount: (stats, marks) => {
        read = stats;
        storing = marks;
      },
    }),
    snapshots: new DynamoSnapshotRepository(client, config.aggregatesTable),
    windowMinutes: config.windowMinutes,
    log: (entry) => log(logLineOf(entry, { read })),
    now: options.now,
  });
  return async (event) => {
    storing = undefined;
    const snapshot = await aggregation(event);
    return { ...snapshot, storing };
  };
}

// Module scope: created on the first invocation and reused by the warm ones.
let aggregation: DeployedAggregation | undefined;

export const handler = async (event?: AggregationTrigger): Promise<AggregationPayload> => {
  aggregation ??= createDeployedAggregation(lambdaDocumentClient(), parseAggregationConfig(process.env));
  return aggregation(event);
};
