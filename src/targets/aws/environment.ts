import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { isThrottling, noRegionError, notAwsAnswers, toUserError } from './errors.js';

/** Where and as whom the AWS target works: --region, --profile, --endpoint-url. */
export interface AwsSettings {
  region?: string;
  profile?: string;
  /** One endpoint for every service (LocalStack-style); AWS_ENDPOINT_URL works too, through the SDK. */
  endpointUrl?: string;
}

/**
 * The retry policy of every AWS client, the CLI's and the Lambdas', in this one place. The SDK
 * retries what it can classify (throttling, 5xx, timeouts, dropped connections) with exponential
 * backoff and full jitter, and adaptive mode also slows the client's own sending rate while a
 * service throttles it: what a stream of SendMessageBatch, or a storing function's burst of
 * BatchWriteItem, needs. sensorpipe adds no request retries of its own; it retries only the parts of
 * a batch that a successful answer hands back (SQS Failed entries, DynamoDB UnprocessedItems and
 * UnprocessedKeys), which the SDK cannot see.
 *
 * 5 attempts: the SDK's waits between them are up to 1, 2, 4 and 8 s for throttling (50 ms doubling
 * for other errors, in the SDK this package ships; the Lambda runtime's may wait somewhat less), so
 * a request rides out about 15 s of throttling at worst. That is long enough for on-demand DynamoDB
 * and SQS to absorb a burst, and short enough that a storing function (30 s timeout by default)
 * still answers with its batch item failures instead of timing out: what fails then comes back
 * through SQS's redelivery, or is counted as failed by the stream.
 */
export const AWS_RETRY_POLICY = { retryMode: 'adaptive', maxAttempts: 5 } as const;

/** Each client's service as messages name it ("does not answer as CloudFormation"). */
const SERVICES = {
  cloudformation: 'CloudFormation',
  sqs: 'SQS',
  dynamodb: 'DynamoDB',
  lambda: 'Lambda',
  logs: 'CloudWatch Logs',
} as const;

/** The part of a client this module touches beyond creating it. */
interface Client {
  middlewareStack: { add(middleware: unknown, options: object): void };
}

/**
 * The most SendMessageBatch requests `stream` keeps in flight, and the SQS client's keep-alive
 * sockets to match, so that no request waits for a socket (the SDK's default pool is 50). 256
 * requests of 10 events hold 10,000 events/s up to a round trip of about 170 ms with the streamer's
 * 1.5x headroom (25,600/s at 100 ms without it), more than one process's CPU sends.
 */
export const SQS_MAX_IN_FLIGHT = 256;

/**
 * What the SQS client skips, for `stream`'s throughput (each measured in `npm run bench --
 * sqs-producer`, README Performance):
 * - md5: the SDK's check of the MD5 that SendMessageBatch returns for each body costs about a tenth
 *   of the producer's CPU. The body is already covered twice on its way: TLS protects it on the wire,
 *   and SigV4 signs the SHA-256 of the request body, which SQS checks before it takes a message. A
 *   mismatch after both could only come from inside SQS, and the SDK would then throw a plain Error
 *   after SQS had taken the messages (the stream would stop, and count them failed); the storing
 *   function checks every body it stores anyway (parseEvent).
 * - cacheMiddleware: the SDK resolves (copies and sorts) its middleware stack for every request
 *   unless told to keep it per command class: another tenth. It is safe here because nothing adds
 *   middleware to the client after its first request (the throttle counter is added at creation).
 */
const SQS_CLIENT_OPTIONS = {
  md5: false,
  cacheMiddleware: true,
  requestHandler: {
    httpAgent: { keepAlive: true, maxSockets: SQS_MAX_IN_FLIGHT },
    httpsAgent: { keepAlive: true, maxSockets: SQS_MAX_IN_FLIGHT },
  },
} as const;

/**
 * The AWS clients of one command, created on first use (the SDK is loaded only then, so commands on
 * the local target never pay for it), all with the same region, profile and endpoint.
 */
export class AwsEnvironment {
  private readonly clients = new Map<string, Promise<unknown>>();
  private documents: Promise<DynamoDBDocumentClient> | undefined;
  private resolvedRegion: Promise<string> | undefined;
  private sqsThrottled = 0;

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
        throw noRegionError();
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
      throw toUserError(error, { settings: this.settings }) ?? error;
    }
  }

  cloudformation(): Promise<CloudFormationClient> {
    return this.client('cloudformation', async (config) => {
      const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
      return new CloudFormationClient(config);
    });
  }

  sqs(): Promise<SQSClient> {
    return this.client('sqs', async (config) => {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      const client = new SQSClient({ ...config, ...SQS_CLIENT_OPTIONS });
      // Inside the SDK's retries, so every attempt SQS throttled counts, the retried ones too: a
      // stream slowed down by throttling can say so (the SDK retries them out of sight).
      client.middlewareStack.addRelativeTo(
        <Output extends MetadataBearer>(next: FinalizeHandler<object, Output>) =>
          async (args: FinalizeHandlerArguments<object>) => {
            try {
              return await next(args);
            } catch (error) {
              if (isThrottling(error)) this.sqsThrottled++;
              throw error;
            }
          },
        { relation: 'after', toMiddleware: 'retryMiddleware', name: 'sensorpipeThrottleCounter' },
      );
      return client;
    });
  }

  /** How many attempts of the SQS client's requests SQS has throttled so far. */
  sqsThrottles(): number {
    return this.sqsThrottled;
  }

  /** DynamoDB through lib-dynamodb's document client: items in and out as plain objects. */
  dynamodb(): Promise<DynamoDBDocumentClient> {
    this.documents ??= this.client<DynamoDBClient>('dynamodb', async (config) => {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      return new DynamoDBClient(config);
    }).then(async (client) => (await import('./dynamo-repositories.js')).documentClientOf(client));
    return this.documents;
  }

  lambda(): Promise<LambdaClient> {
    return this.client('lambda', async (config) => {
      const { LambdaClient } = await import('@aws-sdk/client-lambda');
      return new LambdaClient(config);
    });
  }

  /** The functions' log groups (sensorpipe logs). */
  logs(): Promise<CloudWatchLogsClient> {
    return this.client('logs', async (config) => {
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      return new CloudWatchLogsClient(config);
    });
  }

  /** Closes every client's connections, so the process can exit (a document client's are its client's). */
  async destroy(): Promise<void> {
    this.documents = undefined;
    for (const client of this.clients.values()) {
      try {
        ((await client) as { destroy(): void }).destroy();
      } catch {
        // A client that failed to be created has nothing to close.
      }
    }
    this.clients.clear();
  }

  private client<T>(name: keyof typeof SERVICES, create: (config: ClientConfig) => Promise<T>): Promise<T> {
    let client = this.clients.get(name) as Promise<T> | undefined;
    if (!client) {
      client = this.region().then(async (region) => {
        const created = await create({
          region,
          ...(this.settings.profile ? { profile: this.settings.profile } : {}),
          ...(this.settings.endpointUrl ? { endpoint: this.settings.endpointUrl } : {}),
          ...AWS_RETRY_POLICY,
        });
        // An endpoint that is not this AWS API says so in one line, at once (no retries).
        (created as Client).middlewareStack.add(notAwsAnswers(SERVICES[name]), {
          step: 'deserialize',
          priority: 'high',
          name: 'sensorpipeNotAwsAnswers',
        });
        return created;
      });
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
  maxAttempts: number;
}
