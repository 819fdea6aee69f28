/**
 * A stand-in for an AWS endpoint on 127.0.0.1, alone or in front of an emulator (fauxqs, dynalite).
 * The test answers each request: forward it, refuse it with an AWS error in the service's own
 * protocol (CloudFormation's query XML, the JSON of SQS and DynamoDB, Lambda's REST JSON), reply
 * with a body of its own, drop the connection, or forward it and drop the answer (a lost answer).
 * Faults injected here reach the SDK as real ones do, through its retry middleware; faults injected
 * at `client.send` do not.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { AWS_RETRY_POLICY } from '../../src/targets/aws/environment.js';

export interface StandInRequest {
  /** The service of the request's signature: sqs, dynamodb, lambda, cloudformation... */
  service: string;
  /** SendMessageBatch, BatchWriteItem, DescribeStacks, Invoke... */
  operation: string;
  body: string;
  /** 1 for the first request the stand-in got. */
  n: number;
  /** The SDK's attempt of this request (its amz-sdk-request header): 1, then 2 for its first retry... */
  attempt: number;
  /** When it arrived (its body complete), ms on performance.now()'s clock. */
  at: number;
  /** SendMessageBatch: how many messages it carries. */
  entries?: number;
}

export type StandInAnswer =
  | { kind: 'forward' }
  /** An AWS error as the service's protocol carries it; SQS also gets its query code (x-amzn-query-error). */
  | { kind: 'error'; code: string; status?: number; message?: string; queryCode?: string }
  | { kind: 'reply'; status?: number; body: string; contentType?: string }
  /**
   * SQS's SendMessageBatch answered by the stand-in itself, with no upstream: every entry accepted,
   * with the MD5 of its body as SQS gives it (the SDK checks it). Enough for throughput; any other
   * operation gets a 400.
   */
  | { kind: 'accept' }
  /** The connection closes before the request goes anywhere. */
  | { kind: 'drop' }
  /** The request is forwarded and done; its answer is lost on the way back. */
  | { kind: 'lose-answer' };

export interface AwsStandIn {
  url: string;
  readonly requests: StandInRequest[];
  /** Requests answered with anything but a forward (or an accept). */
  readonly faults: number;
  /** The most requests that were open at once (arrived, not yet answered): the client's concurrency. */
  readonly maxOpen: number;
  /** TCP connections the clients opened: with keep-alive, about maxOpen, not one per request. */
  readonly connections: number;
  close(): Promise<void>;
}

export interface AwsStandInOptions {
  /** Where forwarded requests go: an emulator's endpoint. */
  upstream?: string;
  /** How each request is answered; forwarded by default. */
  answer?: (request: StandInRequest) => StandInAnswer;
  /** How long each request waits before it is answered (or forwarded): a round trip, in ms. */
  delayMs?: number | ((request: StandInRequest) => number);
  /** Keep each request's body in `requests` (default true); a long benchmark turns it off. */
  keepBodies?: boolean;
}

const CLOUDFORMATION_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export async function startAwsStandIn(options: AwsStandInOptions = {}): Promise<AwsStandIn> {
  const requests: StandInRequest[] = [];
  let faults = 0;
  let open = 0;
  let maxOpen = 0;
  let connections = 0;
  const keepBodies = options.keepBodies ?? true;
  /** The messages of each SendMessageBatch, parsed once, for accept. */
  const batches = new WeakMap<StandInRequest, BatchEntry[]>();
  const upstream = options.upstream ? new URL(options.upstream) : undefined;
  const server = http.createServer((request, response) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    let closed = false;
    const close = () => {
      if (!closed) open--;
      closed = true;
    };
    response.on('close', close);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const seen: StandInRequest = {
        service: serviceOf(request),
        operation: operationOf(request, text),
        body: keepBodies ? text : '',
        n: requests.length + 1,
        attempt: Number(/attempt=(\d+)/.exec(String(request.headers['amz-sdk-request'] ?? ''))?.[1] ?? 1),
        at: performance.now(),
      };
      const batch = seen.operation === 'SendMessageBatch' ? entriesOf(text) : undefined;
      if (batch) {
        seen.entries = batch.length;
        batches.set(seen, batch);
      }
      requests.push(seen);
      const delay = typeof options.delayMs === 'function' ? options.delayMs(seen) : (options.delayMs ?? 0);
      if (delay > 0) setTimeout(() => respond(request, response, seen, body), delay);
      else respond(request, response, seen, body);
    });
  });
  server.on('connection', () => {
    connections++;
  });

  function respond(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    seen: StandInRequest,
    body: Buffer,
  ): void {
    const answer = options.answer?.(seen) ?? { kind: 'forward' };
    if (answer.kind !== 'forward' && answer.kind !== 'accept') faults++;
    switch (answer.kind) {
      case 'accept':
        accept(response, seen, batches.get(seen));
        return;
      case 'forward':
      case 'lose-answer':
        if (!upstream) {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end('the stand-in has no upstream to forward to');
          return;
        }
        forward(upstream, request, body, (status, headers, answerBody) => {
          if (answer.kind === 'lose-answer') request.socket.destroy();
          else {
            response.writeHead(status, headers);
            response.end(answerBody);
          }
        });
        return;
      case 'drop':
        request.socket.destroy();
        return;
      case 'reply':
        response.writeHead(answer.status ?? 200, {
          'content-type': answer.contentType ?? 'text/xml',
          'x-amzn-requestid': `stand-in-${seen.n}`,
        });
        response.end(answer.body);
        return;
      case 'error':
        writeError(response, seen, answer);
        return;
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get faults() {
      return faults;
    },
    get maxOpen() {
      return maxOpen;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The service of a SigV4 request: Credential=<key>/<date>/<region>/<service>/aws4_request. */
function serviceOf(request: http.IncomingMessage): string {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '';
}

function operationOf(request: http.IncomingMessage, body: string): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  if (/\/functions\/[^/]+\/invocations$/.test(request.url ?? '')) return 'Invoke';
  return new URLSearchParams(body).get('Action') ?? `${request.method} ${request.url}`;
}

function forward(
  upstream: URL,
  request: http.IncomingMessage,
  body: Buffer,
  done: (status: number, headers: http.IncomingHttpHeaders, body: Buffer) => void,
): void {
  const outgoing = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: upstream.host },
    },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => done(answer.statusCode ?? 502, answer.headers, Buffer.concat(chunks)));
    },
  );
  outgoing.on('error', () => request.socket.destroy());
  outgoing.end(body);
}

/** SendMessageBatch as SQS answers it when it takes every entry (JSON protocol). */
interface BatchEntry {
  Id: string;
  MessageBody: string;
}

/** The entries of a SendMessageBatch in SQS's JSON protocol; undefined if the body is not one. */
function entriesOf(text: string): BatchEntry[] | undefined {
  try {
    const entries = (JSON.parse(text) as { Entries?: unknown }).Entries;
    return Array.isArray(entries) ? (entries as BatchEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

function accept(
  response: http.ServerResponse,
  request: StandInRequest,
  entries: BatchEntry[] | undefined,
): void {
  if (request.service !== 'sqs' || !entries) {
    writeError(response, request, {
      kind: 'error',
      code: 'InvalidAction',
      message: `The stand-in accepts SendMessageBatch only, not ${request.operation}`,
    });
    return;
  }
  const successful = entries.map((entry, i) => ({
    Id: entry.Id,
    MessageId: `stand-in-${request.n}-${i}`,
    MD5OfMessageBody: createHash('md5').update(entry.MessageBody, 'utf8').digest('hex'),
  }));
  response.writeHead(200, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': `stand-in-${request.n}`,
  });
  response.end(JSON.stringify({ Successful: successful, Failed: [] }));
}

function writeError(
  response: http.ServerResponse,
  request: StandInRequest,
  error: Extract<StandInAnswer, { kind: 'error' }>,
): void {
  const status = error.status ?? 400;
  const message = error.message ?? `${error.code} (the stand-in's answer)`;
  const requestId = `stand-in-${request.n}`;
  if (request.service === 'cloudformation') {
    response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    response.end(
      `<ErrorResponse xmlns="${CLOUDFORMATION_NS}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
    return;
  }
  if (request.service === 'lambda') {
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-errortype': error.code,
      'x-amzn-requestid': requestId,
    });
    response.end(JSON.stringify({ Type: 'User', message }));
    return;
  }
  const namespace = request.service === 'sqs' ? 'com.amazonaws.sqs' : 'com.amazonaws.dynamodb.v20120810';
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': requestId,
    ...(request.service === 'sqs'
      ? { 'x-amzn-query-error': `${error.queryCode ?? error.code};${status >= 500 ? 'Receiver' : 'Sender'}` }
      : {}),
  });
  response.end(JSON.stringify({ __type: `${namespace}#${error.code}`, message }));
}

/** A DescribeStacks answer (CloudFormation's XML) for one stack with these outputs. */
export function describeStacksXml(stack: {
  name: string;
  status: string;
  outputs?: Record<string, string>;
}): string {
  const outputs = Object.entries(stack.outputs ?? {})
    .map(
      ([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
    )
    .join('');
  return `<DescribeStacksResponse xmlns="${CLOUDFORMATION_NS}"><DescribeStacksResult><Stacks><member><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${stack.name}/1</StackId><StackName>${stack.name}</StackName><StackStatus>${stack.status}</StackStatus><CreationTime>2026-11-28T00:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></DescribeStacksResponse>`;
}

/**
 * The SDK's standard retry decisions (throttling and transient errors are retried, up to
 * `maxAttempts` in all, the first included) without its waits, so that tests of retried faults take
 * no time. Production clients use AWS_RETRY_POLICY; environment.test.ts checks that they do.
 */
export function quickRetries(maxAttempts: number = AWS_RETRY_POLICY.maxAttempts): RetryStrategyV2 {
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: RetryToken, info: RetryErrorInfo) => {
      const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts) throw new Error('no retry');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => {},
  };
}

/** Credentials and region for clients that talk to a stand-in. */
export const STAND_IN_CLIENT = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
};
