/**
 * A stand-in for an AWS endpoint on 127.0.0.1, alone or in front of an emulator (fauxqs, dynalite).
 * The test answers each request: forward it, refuse it with an AWS error in the service's own
 * protocol (CloudFormation's query XML, the JSON of SQS and DynamoDB, Lambda's REST JSON), reply
 * with a body of its own, drop the connection, or forward it and drop the answer (a lost answer).
 * Faults injected here reach the SDK as real ones do, through its retry middleware; faults injected
 * at `client.send` do not.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
}

export type StandInAnswer =
  | { kind: 'forward' }
  /** An AWS error as the service's protocol carries it; SQS also gets its query code (x-amzn-query-error). */
  | { kind: 'error'; code: string; status?: number; message?: string; queryCode?: string }
  | { kind: 'reply'; status?: number; body: string; contentType?: string }
  /** The connection closes before the request goes anywhere. */
  | { kind: 'drop' }
  /** The request is forwarded and done; its answer is lost on the way back. */
  | { kind: 'lose-answer' };

export interface AwsStandIn {
  url: string;
  readonly requests: StandInRequest[];
  /** Requests answered with anything but a forward. */
  readonly faults: number;
  close(): Promise<void>;
}

export interface AwsStandInOptions {
  /** Where forwarded requests go: an emulator's endpoint. */
  upstream?: string;
  /** How each request is answered; forwarded by default. */
  answer?: (request: StandInRequest) => StandInAnswer;
}

const CLOUDFORMATION_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export async function startAwsStandIn(options: AwsStandInOptions = {}): Promise<AwsStandIn> {
  const requests: StandInRequest[] = [];
  let faults = 0;
  const upstream = options.upstream ? new URL(options.upstream) : undefined;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: StandInRequest = {
        service: serviceOf(request),
        operation: operationOf(request, body.toString('utf8')),
        body: body.toString('utf8'),
        n: requests.length + 1,
        attempt: Number(/attempt=(\d+)/.exec(String(request.headers['amz-sdk-request'] ?? ''))?.[1] ?? 1),
      };
      requests.push(seen);
      const answer = options.answer?.(seen) ?? { kind: 'forward' };
      if (answer.kind !== 'forward') faults++;
      switch (answer.kind) {
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
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get faults() {
      return faults;
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
