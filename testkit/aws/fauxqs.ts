import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** An in-process SQS (fauxqs, in memory) on a free loopback port. */
export interface LocalSqs {
  endpoint: string;
  client: SQSClient;
  /** Creates a standard queue with a new name each call and returns its URL. */
  createQueue(): Promise<string>;
  /** Receives (and leaves in flight) every visible message of the queue. */
  receiveAll(queueUrl: string): Promise<string[]>;
  close(): Promise<void>;
}

export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

let queueSeq = 0;

export async function startFauxqs(): Promise<LocalSqs> {
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const client = sqsClient(endpoint);
  return {
    endpoint,
    client,
    async createQueue() {
      const output = await client.send(new CreateQueueCommand({ QueueName: `events-${++queueSeq}` }));
      if (!output.QueueUrl) throw new Error('fauxqs returned no queue URL');
      return output.QueueUrl;
    },
    async receiveAll(queueUrl) {
      const bodies: string[] = [];
      for (let empty = 0; empty < 2; ) {
        const output = await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
        );
        const messages = output.Messages ?? [];
        if (messages.length === 0) empty++;
        for (const message of messages) bodies.push(message.Body ?? '');
      }
      return bodies;
    },
    async close() {
      client.destroy();
      await app.close();
    },
  };
}
