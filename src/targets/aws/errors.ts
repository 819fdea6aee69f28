import {
  EnvironmentError,
  isSensorpipeError,
  type SensorpipeError,
  StackStateError,
} from '../../core/errors.js';
import { oneLine } from '../../core/text.js';
import { selectorFlags, suggest } from '../stack-ref.js';
import type { AwsSettings } from './environment.js';

/**
 * The one module that reads AWS SDK errors. Each service names a condition its own way
 * (CloudFormation's query protocol says ExpiredToken, DynamoDB and Lambda ExpiredTokenException; SQS
 * keeps the query code AWS.SimpleQueueService.NonExistentQueue beside QueueDoesNotExist), so the
 * names live here, once, and every other module asks a question (isThrottling, isMissingStack...) or
 * turns an error into the one-line error a user acts on (toUserError). A test greps src/ so that no
 * second copy of a name appears.
 */
export type AwsCondition =
  /** The service slowed us down; the SDK retried with backoff (adaptive mode also slows its rate). */
  | 'throttling'
  /** A 5xx, a timeout: the SDK retried it. */
  | 'transient'
  /** The network: no route, no DNS, a refused or reset connection. The SDK retried it. */
  | 'unreachable'
  | 'access-denied'
  | 'expired-token'
  | 'invalid-credentials'
  | 'no-credentials'
  | 'no-region'
  /** A queue, table or function that does not exist (deleted outside CloudFormation). */
  | 'resource-missing'
  | 'conditional-check-failed'
  /** CloudFormation: the stack does not exist. */
  | 'missing-stack'
  /** CloudFormation: the stack is in the middle of another operation. */
  | 'stack-busy'
  /**
   * CloudFormation: the change set is gone or cannot run any more, because another change set was
   * executed on the stack since it was made (another deploy got there first).
   */
  | 'change-set-overtaken'
  /**
   * What answered is not the AWS service asked: an --endpoint-url that is not an AWS API (or not
   * that service), or a proxy or captive portal in front of AWS. See notAwsAnswers.
   */
  | 'not-aws'
  /** Any other error of an AWS service: the request itself was refused (a bad parameter, too big). */
  | 'refused'
  /** Not an AWS or network error: a bug, or a misconfigured client. */
  | 'unknown';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'KMS.ThrottlingException',
]);
const TRANSIENT = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EPIPE',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
]);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidAccessKeyId',
  'InvalidSecurity',
  'MissingAuthenticationToken',
]);
const RESOURCE_MISSING = new Set([
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'NonExistentQueue',
  'AWS.SimpleQueueService.NonExistentQueue',
]);
/** SQS batch entries refused for their own content: sending them again cannot succeed. */
const BAD_ENTRY = new Set(['InvalidMessageContents', 'InvalidParameterValue', 'MissingParameter']);
const BUSY = /is in (\w+_IN_PROGRESS) state/;
const CHANGE_SET_OVERTAKEN = new Set([
  'ChangeSetNotFoundException',
  'ChangeSetNotFound',
  'InvalidChangeSetStatusException',
  'InvalidChangeSetStatus',
]);

/** What happened, whatever service and protocol said it. */
export function conditionOf(error: unknown): AwsCondition {
  // Already turned into a user error: not AWS's any more (its code could look like a name).
  if (isSensorpipeError(error)) return 'unknown';
  if (error instanceof NotAwsAnswerError) return 'not-aws';
  const names = namesOf(error);
  const is = (set: Set<string>) => names.some((name) => set.has(name));
  const message = stringField(error, 'message');
  if (is(THROTTLING) || httpStatus(error) === 429) return 'throttling';
  if (is(ACCESS_DENIED)) return 'access-denied';
  if (is(EXPIRED)) return 'expired-token';
  if (is(INVALID)) return 'invalid-credentials';
  if (names.includes('CredentialsProviderError') || /could not load credentials/i.test(message))
    return 'no-credentials';
  if (/region is missing/i.test(message)) return 'no-region';
  if (is(RESOURCE_MISSING)) return 'resource-missing';
  if (names.includes('ConditionalCheckFailedException')) return 'conditional-check-failed';
  if (names.includes('ValidationError') && /does not exist/.test(message)) return 'missing-stack';
  if (BUSY.test(message)) return 'stack-busy';
  if (is(CHANGE_SET_OVERTAKEN)) return 'change-set-overtaken';
  // The SDK's own TimeoutError: no answer within its timeout, as good as unreachable.
  if (systemCode(error) || names.includes('TimeoutError')) return 'unreachable';
  const status = httpStatus(error);
  if (is(TRANSIENT) || (status !== undefined && status >= 500) || stringField(error, '$fault') === 'server')
    return 'transient';
  if (status !== undefined || stringField(error, '$fault') === 'client') return 'refused';
  return 'unknown';
}

/** Throttled even after the SDK's retries. */
export function isThrottling(error: unknown): boolean {
  return conditionOf(error) === 'throttling';
}

/**
 * A failure the SDK retries on its own (throttling, 5xx, timeouts, the network): when one reaches
 * sensorpipe, the SDK's attempts are used up, and retrying the request again would only stack retries.
 */
export function isRetryable(error: unknown): boolean {
  const condition = conditionOf(error);
  return condition === 'throttling' || condition === 'transient' || condition === 'unreachable';
}

/** The service refused the request for what it holds (a bad parameter, an item too large). */
export function isRefused(error: unknown): boolean {
  return conditionOf(error) === 'refused';
}

/** A queue, table or function that does not exist: deleted outside CloudFormation. */
export function isResourceMissing(error: unknown): boolean {
  return conditionOf(error) === 'resource-missing';
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return conditionOf(error) === 'conditional-check-failed';
}

/** CloudFormation's answer for a stack that does not exist (a ValidationError). */
export function isMissingStack(error: unknown): boolean {
  return conditionOf(error) === 'missing-stack';
}

/** The operation a stack is busy with ("is in UPDATE_IN_PROGRESS state"), or undefined. */
export function busyStateOf(error: unknown): string | undefined {
  if (conditionOf(error) !== 'stack-busy') return undefined;
  return BUSY.exec(stringField(error, 'message'))?.[1];
}

/** The change set was overtaken: another deploy's change set ran on the stack since it was made. */
export function isChangeSetOvertaken(error: unknown): boolean {
  return conditionOf(error) === 'change-set-overtaken';
}

/** A failed SQS batch entry that SQS throttled. */
export function isThrottledEntry(entry: { Code?: string }): boolean {
  return THROTTLING.has(entry.Code ?? '');
}

/** A failed SQS batch entry worth sending again: a fault on SQS's side, not in the entry itself. */
export function isRetryableEntry(entry: { Code?: string; SenderFault?: boolean }): boolean {
  const code = entry.Code ?? '';
  if (entry.SenderFault === true) return THROTTLING.has(code) || TRANSIENT.has(code);
  return !BAD_ENTRY.has(code);
}

/** The error's name as AWS gave it, with the HTTP status: "ThrottlingException (HTTP 400)". */
export function describeFailure(error: unknown): string {
  const name = namesOf(error)[0] || systemCode(error) || 'UnknownError';
  const status = httpStatus(error);
  return status === undefined ? name : `${name} (HTTP ${status})`;
}

export interface ErrorContext {
  /** --region, --profile, --endpoint-url: named where they are the likely cause. */
  settings?: AwsSettings;
  /** The stack the call worked on: its missing resources were deleted outside CloudFormation. */
  stackName?: string;
  /** What a missing resource of the stack is, in the message ("queue"); any of them by default. */
  resource?: string;
  /** The queue a stream sends to, named when it does not exist. */
  queueUrl?: string;
  /** The flags that selected the stack, repeated by the commands a message suggests. */
  selector?: readonly string[];
}

const LOCAL_HINT = 'To run without AWS, use --target local.';

/** The one-line error for a missing region: the same whether the SDK or sensorpipe found it missing. */
export function noRegionError(details: { cause?: unknown; suggestions?: string[] } = {}): EnvironmentError {
  return new EnvironmentError(
    `No AWS region is set: pass --region, set AWS_REGION, or give your profile a region (aws configure). ${LOCAL_HINT}`,
    'AWS_NO_REGION',
    details,
  );
}

/**
 * The one-line error for an AWS failure a user fixes outside sensorpipe (credentials, permissions,
 * region, network, a resource deleted by hand), or undefined for anything else: throttling and
 * service refusals are the caller's to count or report. One condition gives one code on every path.
 * Messages never include credentials or message bodies; the request id goes into the suggestions,
 * for AWS support.
 */
export function toUserError(error: unknown, context: ErrorContext = {}): SensorpipeError | undefined {
  const names = namesOf(error);
  const name = names[0] ?? '';
  const requestId = stringField(objectField(error, '$metadata'), 'requestId');
  const suggestions = requestId ? [`AWS request id: ${requestId}`] : [];
  const details = { cause: error, suggestions };
  const settings = context.settings ?? {};
  switch (conditionOf(error)) {
    case 'access-denied': {
      const reason = oneLine(stringField(error, 'message').replace(/\.\s*$/, ''), 300) || name;
      return new EnvironmentError(
        `AWS denied the request: ${reason}. Your identity needs the permissions listed under "IAM permissions" in the README.`,
        'AWS_ACCESS_DENIED',
        details,
      );
    }
    case 'expired-token':
      return new EnvironmentError(
        `Your AWS session has expired (${name}): refresh it (aws sso login, or new temporary credentials) and try again.`,
        'AWS_EXPIRED_TOKEN',
        details,
      );
    case 'invalid-credentials':
      // No cause kept: SignatureDoesNotMatch's message holds the string that was signed, session token included.
      return new EnvironmentError(
        `AWS did not accept your credentials (${name}): check the access key, secret and session token of ${settings.profile ? `profile "${settings.profile}"` : 'your profile or environment'}.`,
        'AWS_INVALID_CREDENTIALS',
        { suggestions },
      );
    case 'no-credentials': {
      const profile = settings.profile ? ` for profile "${settings.profile}"` : '';
      return new EnvironmentError(
        `No AWS credentials found${profile}: run aws configure (or aws sso login), set AWS_PROFILE, or pass --profile. ${LOCAL_HINT}`,
        'AWS_NO_CREDENTIALS',
        details,
      );
    }
    case 'no-region':
      return noRegionError(details);
    case 'unreachable': {
      const where = settings.endpointUrl ?? `AWS${settings.region ? ` in ${settings.region}` : ''}`;
      return new EnvironmentError(
        `Cannot reach ${where} (${systemCode(error) || name}): check your network${settings.endpointUrl ? ' and --endpoint-url' : ''}, and try again.`,
        'AWS_UNREACHABLE',
        details,
      );
    }
    case 'resource-missing':
      return resourceMissing(error, name, context);
    case 'not-aws':
      return notAwsError(error as NotAwsAnswerError);
    default:
      return undefined;
  }
}

function notAwsError(error: NotAwsAnswerError): EnvironmentError {
  const aws = /\.amazonaws\.com(\.cn)?(:\d+)?$/.test(error.endpoint);
  return new EnvironmentError(
    aws
      ? `${error.endpoint} does not answer as ${error.service} (${error.received}): something between you and AWS (a proxy, a captive portal) answers instead. Check your network and proxy settings (HTTPS_PROXY), and try again.`
      : `${error.endpoint} does not answer as ${error.service} (is it LocalStack?): it sent ${error.received}. Pass an --endpoint-url (or AWS_ENDPOINT_URL) that serves every AWS API sensorpipe calls, such as LocalStack's http://localhost:4566, or none for AWS itself.`,
    'AWS_NOT_AN_AWS_API',
    { cause: error },
  );
}

/**
 * An answer that no AWS API gives: a web page (HTML), or a body the SDK could not read as the
 * service's protocol. Thrown by notAwsAnswers in place of the SDK's "XML parse error", "Unexpected
 * token <" or an empty result read as "not deployed".
 */
export class NotAwsAnswerError extends Error {
  override name = 'NotAwsAnswerError';

  constructor(
    readonly service: string,
    /** Where the request went: `http://127.0.0.1:4566`. */
    readonly endpoint: string,
    /** What came back: `HTTP 404, text/html`. */
    readonly received: string,
    /**
     * What the SDK made of it, for --debug. Not a `cause`: the SDK's retry strategy reads causes, and
     * would retry a 502 page that is not AWS's five times.
     */
    readonly sdkError?: unknown,
  ) {
    const sdk = sdkError instanceof Error ? ` (the SDK read: ${oneLine(sdkError.message, 300)})` : '';
    super(`${endpoint} does not answer as ${service}: ${received}${sdk}`);
  }
}

interface HttpLike {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

interface RequestLike {
  protocol?: string;
  hostname?: string;
  port?: number;
}

/**
 * A middleware for every client (deserialize step, before the SDK's deserializer): turns an answer
 * that is not the service's into a NotAwsAnswerError, which the SDK does not retry. An HTML page is
 * never an AWS API's answer, even with a status of 200 (which the SDK would read as an empty
 * result); a body the SDK's deserializer cannot read is not one either, whereas a service's own error
 * is read (it has $fault) and passes on as it is.
 */
export function notAwsAnswers(service: string) {
  return <Output>(next: (args: { request: unknown }) => Promise<{ response: unknown; output: Output }>) =>
    async (args: { request: unknown }): Promise<{ response: unknown; output: Output }> => {
      const request = args.request as RequestLike;
      const endpoint = `${request.protocol ?? 'https:'}//${request.hostname ?? ''}${request.port ? `:${request.port}` : ''}`;
      const notAws = (response: HttpLike, sdkError?: unknown) =>
        new NotAwsAnswerError(service, endpoint, describeAnswer(response), sdkError);
      let result: { response: unknown; output: Output };
      try {
        result = await next(args);
      } catch (error) {
        const response = objectField(error, '$response') as HttpLike | undefined;
        if (response && (isHtml(response) || objectField(error, '$fault') === undefined))
          throw notAws(response, error);
        throw error;
      }
      if (isHtml(result.response as HttpLike)) throw notAws(result.response as HttpLike);
      return result;
    };
}

function headerOf(response: HttpLike, name: string): string {
  for (const [key, value] of Object.entries(response.headers ?? {}))
    if (key.toLowerCase() === name) return value ?? '';
  return '';
}

function isHtml(response: HttpLike): boolean {
  return /text\/html/i.test(headerOf(response, 'content-type'));
}

function describeAnswer(response: HttpLike): string {
  const type = headerOf(response, 'content-type').split(';')[0]?.trim();
  return `HTTP ${response.statusCode ?? '?'}${type ? `, ${type}` : ''}`;
}

function resourceMissing(error: unknown, name: string, context: ErrorContext): StackStateError {
  if (context.stackName) {
    const stack = context.stackName;
    const ref = { selector: context.selector ?? selectorFlags('aws', stack, {}) };
    return new StackStateError(
      `A ${context.resource ?? 'function, table or queue'} of stack "${stack}" is gone (${name}): it was deleted outside CloudFormation, and a deploy does not bring it back. Recreate the stack: ${suggest(ref, 'destroy')}, then ${suggest(ref, 'deploy')}.`,
      'AWS_RESOURCE_MISSING',
      { cause: error },
    );
  }
  if (context.queueUrl) {
    const deploy = context.selector ? suggest({ selector: context.selector }, 'deploy') : 'sensorpipe deploy';
    return new StackStateError(
      `The queue ${context.queueUrl} does not exist: deploy the stack (${deploy}) or pass the right --queue-url.`,
      'AWS_RESOURCE_MISSING',
      { cause: error },
    );
  }
  return new StackStateError(
    `An AWS resource sensorpipe uses does not exist (${name}): ${oneLine(stringField(error, 'message'), 300)}`,
    'AWS_RESOURCE_MISSING',
    { cause: error },
  );
}

/** The names an error goes by: its name, then the protocol's code (SQS's query code) if different. */
function namesOf(error: unknown): string[] {
  const names: string[] = [];
  for (const value of [
    stringField(error, 'name'),
    stringField(error, 'Code'),
    stringField(objectField(error, 'Error'), 'Code'),
    stringField(error, 'code'),
  ]) {
    if (value !== '' && value !== 'Error' && !names.includes(value)) names.push(value);
  }
  return names;
}

function objectField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string {
  const field = objectField(value, key);
  return typeof field === 'string' ? field : '';
}

function httpStatus(error: unknown): number | undefined {
  const status = objectField(objectField(error, '$metadata'), 'httpStatusCode');
  return typeof status === 'number' ? status : undefined;
}

/** A Node system error code on the error or one of its causes (the SDK wraps socket errors). */
function systemCode(error: unknown): string {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const code = stringField(current, 'code');
    if (NETWORK.has(code)) return code;
    current = objectField(current, 'cause');
  }
  return '';
}
