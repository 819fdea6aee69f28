import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiryOf, type SensorEvent, type StoredEvent } from '../../src/core/event.js';
import { uuidv7 } from '../../src/core/id.js';
import { documentClientOf } from '../../src/targets/aws/dynamo-repositories.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const require = createRequire(import.meta.url);

interface DynaliteServer {
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  close(callback: (error?: Error) => void): void;
  address(): AddressInfo;
}

/** An in-process DynamoDB (dynalite, in memory) on a free loopback port. */
export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  /** The same client through lib-dynamodb, as the repositories take it. */
  documents: DynamoDBDocumentClient;
  /** Creates a raw events table and an aggregates table with the stack's key schema; new names each call. */
  createTables(): Promise<{ eventsTable: string; aggregatesTable: string }>;
  close(): Promise<void>;
}

/** Credentials and region that dynalite accepts; also the environment of a child process. */
export const DUMMY_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export function dynamoClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: DUMMY_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...config,
  });
}

let tableSeq = 0;

export async function startDynalite(): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (options: object) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) =>
    server.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = dynamoClient(endpoint);
  return {
    endpoint,
    client,
    documents: documentClientOf(client),
    async createTables() {
      const n = ++tableSeq;
      const eventsTable = `events-${n}`;
      const aggregatesTable = `aggregates-${n}`;
      await client.send(
        new CreateTableCommand({
          TableName: eventsTable,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      await client.send(
        new CreateTableCommand({
          TableName: aggregatesTable,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
        }),
      );
      // dynalite creates tables asynchronously, even with createTableMs 0: wait until both are ACTIVE.
      for (const table of [eventsTable, aggregatesTable]) {
        for (let tries = 0; ; tries++) {
          const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
          if (Table?.TableStatus === 'ACTIVE') break;
          if (tries > 200) throw new Error(`dynalite table ${table} never became ACTIVE`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      return { eventsTable, aggregatesTable };
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** A sensor event as the streamer sends it (UUIDv7 id of its time). */
export function sensorEvent(time: number, county: string, data: Record<string, string> = {}): SensorEvent {
  return { id: uuidv7(time), time, county, data: { County: county, ...data } };
}

/** A stored event, with the expiry the storing function gives it (TTL 60 minutes unless given). */
export function storedEvent(
  time: number,
  county: string,
  data?: Record<string, string>,
  ttlMinutes = 60,
): StoredEvent {
  return { ...sensorEvent(time, county, data), expiresAt: expiryOf(time, ttlMinutes) };
}

let seq = 0;
/** An SQS record as Lambda delivers it (event source mapping), with the given body. */
export function sqsRecord(body: string, sentAt = Date.now()) {
  const n = ++seq;
  return {
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    receiptHandle: `receipt-${n}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAt),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(sentAt),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:sensorpipe-events',
    awsRegion: 'us-east-1',
  };
}

export const sqsEvent = (bodies: string[]) => ({ Records: bodies.map((body) => sqsRecord(body)) });
