import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EnvironmentError, type SensorpipeError, StackStateError } from '../../core/errors.js';

/** Where and as whom the AWS target works: --region, --profile, --endpoint-url. */
export interface AwsSettings {
  region?: string;
  profile?: string;
  /** One endpoint for every service (LocalStack-style); AWS_ENDPOINT_URL works too, through the SDK. */
  endpointUrl?: string;
}

const LOCAL_HINT = 'To run without AWS, use --target local.';

/**
 * The AWS clients of one command, created on first use (the SDK is loaded only then, so commands on
 * the local target never pay for it), all with the same region, profile and endpoint.
 */
export class AwsEnvironment {
  private readonly clients = new Map<string, Promise<unknown>>();
  private resolvedRegion: Promise<string> | undefined;

  constructor(
    readonly settings: AwsSettings = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    // On Node 20 every SDK client prints a multi-line notice that SDK versions published after
    // January 2027 need Node 22. The SDK that ships with this package runs on Node 20, so the notice
    // is not for sensorpipe's users, and it would garble every command's output. A user can still
    // ask for it by setting the variable to false.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }

  /**
   * The region: --region, else the SDK's chain (AWS_REGION, then the profile's `region` in
   * ~/.aws/config), else AWS_DEFAULT_REGION, which the AWS CLI reads and the JavaScript SDK does not.
   */
  region(): Promise<string> {
    this.resolvedRegion ??= (async () => {
      if (this.settings.region) return this.settings.region;
      // The SDK's own chain, through a client: it reads the environment and the profile's config.
      const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
      const probe = new CloudFormationClient(this.settings.profile ? { profile: this.settings.profile } : {});
      try {
        return await probe.config.region();
      } catch {
        const fallback = this.env.AWS_DEFAULT_REGION;
        if (fallback) return fallback;
        throw new EnvironmentError(
          `No AWS region is set: pass --region, set AWS_REGION, or give your profile a region (aws configure). ${LOCAL_HINT}`,
          'AWS_NO_REGION',
        );
      } finally {
        probe.destroy();
      }
    })();
    return this.resolvedRegion;
  }

  /** Fails with one line when the standard chain (or --profile) yields no usable credentials. */
  async checkCredentials(): Promise<void> {
    const client = await this.cloudformation();
    try {
      await client.config.credentials();
    } catch (error) {
      throw describeAwsError(error, this.settings) ?? error;
    }
  }

  cloudformation(): Promise<CloudFormationClient> {
    return this.client('cloudformation', async (config) => {
      const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
      return new CloudFormationClient(config);
    });
  }

  /** One attempt per request: the SQS sender retries failed entries and throttling itself. */
  sqs(): Promise<SQSClient> {
    return this.client('sqs', async (config) => {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      return new SQSClient({ ...config, maxAttempts: 1 });
    });
  }

  dynamodb(): Promise<DynamoDBClient> {
    return this.client('dynamodb', async (config) => {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      return new DynamoDBClient(config);
    });
  }

  lambda(): Promise<LambdaClient> {
    return this.client('lambda', async (config) => {
      const { LambdaClient } = await import('@aws-sdk/client-lambda');
      return new LambdaClient(config);
    });
  }

  /** Closes every client's connections, so the process can exit. */
  async destroy(): Promise<void> {
    for (const client of this.clients.values()) {
      try {
        ((await client) as { destroy(): void }).destroy();
      } catch {
        // A client that failed to be created has nothing to close.
      }
    }
    this.clients.clear();
  }

  private client<T>(name: string, create: (config: ClientConfig) => Promise<T>): Promise<T> {
    let client = this.clients.get(name) as Promise<T> | undefined;
    if (!client) {
      client = this.region().then((region) =>
        create({
          region,
          ...(this.settings.profile ? { profile: this.settings.profile } : {}),
          ...(this.settings.endpointUrl ? { endpoint: this.settings.endpointUrl } : {}),
          retryMode: 'adaptive',
        }),
      );
      this.clients.set(name, client);
    }
    return client;
  }
}

interface ClientConfig {
  region: string;
  profile?: string;
  endpoint?: string;
  retryMode: string;
}

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
  'MissingAuthenticationToken',
]);
const NETWORK = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'ECONNRESET']);

/**
 * The one-line error for an AWS failure a user fixes outside sensorpipe (credentials, permissions,
 * region, network), or undefined for anything else. Messages never include credentials or bodies;
 * the request id goes into the suggestions, for AWS support.
 */
export function describeAwsError(error: unknown, settings: AwsSettings = {}): SensorpipeError | undefined {
  const name = stringField(error, 'name');
  const code = stringField(error, 'Code') || stringField(error, 'code');
  const message = oneLine(stringField(error, 'message'));
  const requestId = stringField(objectField(error, '$metadata'), 'requestId');
  const details = (suggestions: string[]) => ({
    cause: error,
    suggestions: requestId ? [...suggestions, `AWS request id: ${requestId}`] : suggestions,
  });
  const is = (set: Set<string>) => set.has(name) || set.has(code);

  if (is(ACCESS_DENIED)) {
    return new EnvironmentError(
      `AWS denied the request: ${message || name}. Your identity needs the permissions listed under "IAM permissions" in the README.`,
      'AWS_ACCESS_DENIED',
      details([]),
    );
  }
  if (is(EXPIRED)) {
    return new EnvironmentError(
      `Your AWS session has expired (${name || code}): refresh it (aws sso login, or new temporary credentials) and try again.`,
      'AWS_EXPIRED_TOKEN',
      details([]),
    );
  }
  if (is(INVALID)) {
    // No cause kept: SignatureDoesNotMatch's message holds the string that was signed, session token included.
    return new EnvironmentError(
      `AWS did not accept your credentials (${name || code}): check the access key, secret and session token of ${settings.profile ? `profile "${settings.profile}"` : 'your profile or environment'}.`,
      'AWS_INVALID_CREDENTIALS',
      { suggestions: details([]).suggestions },
    );
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    const profile = settings.profile ? ` for profile "${settings.profile}"` : '';
    return new EnvironmentError(
      `No AWS credentials found${profile}: run aws configure (or aws sso login), set AWS_PROFILE, or pass --profile. ${LOCAL_HINT}`,
      'AWS_NO_CREDENTIALS',
      details([]),
    );
  }
  if (/region is missing/i.test(message)) {
    return new EnvironmentError(
      `No AWS region is set: pass --region, set AWS_REGION, or give your profile a region (aws configure). ${LOCAL_HINT}`,
      'AWS_NO_REGION',
      details([]),
    );
  }
  const system = systemCode(error);
  if (system || name === 'TimeoutError') {
    const where = settings.endpointUrl ?? `AWS${settings.region ? ` in ${settings.region}` : ''}`;
    return new EnvironmentError(
      `Cannot reach ${where} (${system || name}): check your network${settings.endpointUrl ? ' and --endpoint-url' : ''}, and try again.`,
      'AWS_UNREACHABLE',
      details([]),
    );
  }
  return undefined;
}

/** A stack's resource that is gone (a queue or table deleted by hand): the stack needs a deploy. */
export function missingResource(what: string, stackName: string, error: unknown): StackStateError {
  return new StackStateError(
    `A ${what} of stack "${stackName}" is gone (${stringField(error, 'name') || 'not found'}): it was deleted outside CloudFormation, and a deploy does not bring it back. Recreate the stack: sensorpipe destroy --target aws --stack-name ${stackName}, then deploy again.`,
    'AWS_RESOURCE_MISSING',
    { cause: error },
  );
}

function objectField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string {
  const field = objectField(value, key);
  return typeof field === 'string' ? field : '';
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

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
