import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tally } from '../../src/core/snapshot.js';
import type { TimeWindow } from '../../src/core/window.js';
import { EVENT_ATTRIBUTES, sortKeyRange, windowPartitions } from '../../src/targets/aws/keys.js';

/** The original design's count, as a baseline: every partition of the window, projected on the county. */
export async function readEveryEvent(
  documents: Pick<DynamoDBDocumentClient, 'send'>,
  table: string,
  window: TimeWindow,
  concurrency: number,
  onPage: (items: number, units: number) => void = () => {},
): Promise<Map<string, number>> {
  const [lo, hi] = sortKeyRange(window);
  const counts = new Map<string, number>();
  const partitions = windowPartitions(window);
  const next = [...partitions];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let pk = next.shift(); pk !== undefined; pk = next.shift()) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const out = await documents.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
              ProjectionExpression: '#county',
              ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#county': EVENT_ATTRIBUTES.county },
              ExpressionAttributeValues: { ':pk': pk, ':lo': lo, ':hi': hi },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          onPage(out.Items?.length ?? 0, out.ConsumedCapacity?.CapacityUnits ?? 0);
          for (const item of out.Items ?? []) tally(counts, item[EVENT_ATTRIBUTES.county] as string);
          startKey = out.LastEvaluatedKey;
        } while (startKey);
      }
    }),
  );
  return counts;
}
