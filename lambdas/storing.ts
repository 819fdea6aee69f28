import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logLineOf } from '../src/functions/log.js';
import { createStoringHandler, parseStoringConfig, type StoringHandler } from '../src/functions/storing.js';
import { DynamoEventWriter, lambdaDocumentClient } from '../src/targets/aws/dynamo-repositories.js';

// The fault scenarios drive the shipped bundle's factory with a fault-injecting repository.
export { createStoringHandler };

// Module scope: created on the first invocation and reused by the warm ones.
let client: DynamoDBDocumentClient | undefined;
let storing: StoringHandler | undefined;

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  if (!storing) {
    const config = parseStoringConfig(process.env);
    client ??= lambdaDocumentClient();
    storing = createStoringHandler({
      events: new DynamoEventWriter(client, config.eventsTable),
      ttlMinutes: config.ttlMinutes,
      log: (entry) => console.log(logLineOf(entry)),
    });
  }
  return storing(event);
};
