import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Clock, isoTimeOrNull, systemClock } from '../../core/clock.js';
import { confirmOrRefuse, planParameters } from '../../core/deploy.js';
import { InterruptedError, StackStateError, UsageError } from '../../core/errors.js';
import { FUNCTION_NAMES, type FunctionName, type LogLine, type LogQuery } from '../../core/logs.js';
import {
  type AllParameters,
  decodeParameters,
  encodeValue,
  type ParameterChanges,
  type ParameterName,
  type StackParameters,
} from '../../core/parameters.js';
import { parseSchedule } from '../../core/schedule.js';
import type { Snapshot } from '../../core/snapshot.js';
import { withSend } from '../../core/streamer.js';
import { SECOND_MS } from '../../core/window.js';
import { notDeployedError, StackGoneError, type StackRef, selectorFlags, suggest } from '../stack-ref.js';
import {
  clockErrorOf,
  type DeadLetterCount,
  type DeadLetterView,
  type DeployOptions,
  type DeployResult,
  type DestroyResult,
  type EventKey,
  type LogReadOptions,
  notDeployedStatus,
  type OperationOptions,
  type PipelineHealth,
  type QueueStatus,
  type RedriveOptions,
  type RedriveResult,
  type StackStatus,
  type StackWatch,
  type StreamSession,
  signalOnlyWatch,
  type Target,
  truncatedBody,
  type Verification,
} from '../target.js';
import { carriesOn, type StackDeployer, type StackInfo, StackNeedsRecreateError } from './cloudformation.js';
import { consoleLinks } from './console.js';
import { countStored, DynamoSnapshotRepository } from './dynamo-repositories.js';
import type { AwsEnvironment } from './environment.js';
import { isResourceMissing, toUserError } from './errors.js';
import { CloudWatchFunctionLogs, logGroupOf } from './function-logs.js';
import { invokeAggregation } from './lambda-invoker.js';
import { followMoveTask, moveByHand } from './redrive.js';
import { SqsEventSender } from './sqs-sender.js';
import { synthesizeTemplate } from './template.js';
import { markedBetween, type StoringMarks } from './window-counts.js';

export interface AwsTargetOptions {
  stackName: string;
  environment: AwsEnvironment;
  deployer: StackDeployer;
  /** Stream into this queue instead of the stack's (stream --queue-url). */
  queueUrl?: string;
  /** The flags that selected the stack, for suggested commands (default: --target and --stack-name). */
  selector?: readonly string[];
  /** The TemplateBody to deploy; the shipped template with the shipped code by default. */
  template?: () => string;
  /** How often to look at a running redrive. */
  pollIntervalMs?: number;
  /** The waits of a redrive; injected so that tests control time. */
  clock?: Clock;
}

/** The stack outputs the commands use (templates/pipeline.yaml). */
type Output =
  | 'QueueUrl'
  | 'DeadLetterQueueUrl'
  | 'QueueArn'
  | 'DeadLetterQueueArn'
  | 'EventsTableName'
  | 'AggregatesTableName'
  | 'StoringFunctionName'
  | 'AggregationFunctionName';

/**
 * The pipeline on AWS: a CloudFormation stack deployed through change sets, events sent to its SQS
 * queue, the aggregation function invoked, snapshots read from DynamoDB. Every AWS failure a user
 * fixes outside sensorpipe (credentials, permissions, region, network) becomes one line.
 */
export class AwsTarget implements Target {
  readonly kind = 'aws' as const;
  readonly stackName: string;
  readonly location: string;
  readonly selector: readonly string[];
  readonly contents = 'its queues, tables, functions and logs';
  private readonly env: AwsEnvironment;
  private readonly deployer: StackDeployer;
  private readonly clock: Clock;
  private stack: StackInfo | undefined;
  /** What the last aggregation returned of the storing side, and the running count health makes of it. */
  private storing: { latest?: StoringMarks; counted?: StoringMarks; marked: number } = { marked: 0 };

  private constructor(
    private readonly options: AwsTargetOptions,
    private readonly region: string,
  ) {
    this.stackName = options.stackName;
    this.env = options.environment;
    this.deployer = options.deployer;
    this.clock = options.clock ?? systemClock;
    this.location = `AWS ${region}${options.environment.settings.endpointUrl ? ` at ${options.environment.settings.endpointUrl}` : ''}`;
    this.selector = options.selector ?? selectorFlags('aws', options.stackName, {});
  }

  /** Resolves the region first, so a missing one is reported before anything else happens. */
  static async open(options: AwsTargetOptions): Promise<AwsTarget> {
    const region = await options.environment.region();
    return new AwsTarget(options, region);
  }

  async exists(): Promise<boolean> {
    return this.aws(async () => (await this.describe()) !== undefined);
  }

  async ensureDeployed(): Promise<void> {
    await this.aws(() => this.deployed());
  }

  async deploy(changes: ParameterChanges, options: DeployOptions = {}): Promise<DeployResult> {
    return this.aws(async () => {
      // Checked before any call: a rejected deploy never reaches CloudFormation.
      planParameters('aws', undefined, changes);
      await this.env.checkCredentials();
      const templateBody = (this.options.template ?? synthesizeTemplate)();
      let current = await this.describe();
      let plan: Awaited<ReturnType<StackDeployer['plan']>>;
      let parameterPlan: ReturnType<typeof planParameters>;
      for (;;) {
        const previous = current ? parametersOf(current.parameters) : undefined;
        parameterPlan = planParameters('aws', previous, changes);
        // A create sets every parameter; an update only the changed ones, the others keep their values.
        const sent = previous
          ? pick(parameterPlan.parameters, Object.keys(changes) as ParameterName[])
          : parameterPlan.parameters;
        try {
          plan = await this.deployer.plan(
            { stackName: this.stackName, templateBody, parameters: templateParameters(sent) },
            options.signal,
          );
          break;
        } catch (error) {
          if (!(error instanceof StackNeedsRecreateError)) throw error;
          const question = `${error.message} Delete it and create it again?`;
          if (!(await confirmOrRefuse(options, question, error))) throw error;
          await options.onStart?.(0);
          await this.deployer
            .deleteStack(this.stackName, options.onProgress, options.signal)
            .catch(this.carriesOn('delete'));
          current = undefined;
        }
      }
      const result: DeployResult = {
        stackName: this.stackName,
        target: this.kind,
        action: 'unchanged',
        location: this.location,
        parameters: parameterPlan.parameters as StackParameters,
        changes: parameterPlan.changes,
        details: { kind: 'aws', resourceChanges: plan.changes, outputs: current?.outputs ?? {} },
      };
      if (!plan.changeSetId) return result;
      if (plan.dataLoss.length > 0) {
        const lost = plan.dataLoss
          .map((c) => `${c.logicalId} (${c.resourceType}, ${c.action === 'Remove' ? 'removed' : 'replaced'})`)
          .join(', ');
        const question = `This deploy would delete ${lost}, and the data in them. Continue?`;
        const refusal = new UsageError(
          `Not deployed: it would delete ${lost} and their data. Run again with --yes to accept that.`,
        );
        let accepted = false;
        try {
          accepted = await confirmOrRefuse(options, question, refusal);
        } finally {
          // Refused, declined, or the question failed: leave no change set behind.
          if (!accepted) await this.deployer.discard(plan);
        }
        if (!accepted) throw refusal;
      }
      if (options.signal?.aborted) {
        await this.deployer.discard(plan);
        throw this.interrupted();
      }
      await options.onStart?.(plan.changes.length);
      // Ctrl-C cannot stop CloudFormation: the deployer stops following, and we say that it carries on.
      const stack = await this.deployer
        .execute(plan, options.onProgress, options.signal)
        .catch(this.carriesOn('deploy'));
      this.stack = stack;
      return {
        ...result,
        action: plan.kind === 'create' ? 'created' : 'updated',
        parameters: parametersOf(stack.parameters),
        details: { kind: 'aws', resourceChanges: plan.changes, outputs: stack.outputs },
      };
    });
  }

  /** Ctrl-C before a deploy started: nothing changed. */
  private interrupted(): InterruptedError {
    return new InterruptedError(
      `Interrupted before the deploy of stack "${this.stackName}" started: nothing was changed.`,
    );
  }

  /** Ctrl-C while CloudFormation works: it carries on, and this says how to follow it. */
  private carriesOn(operation: 'deploy' | 'delete'): (error: unknown) => never {
    return (error) => {
      if (!(error instanceof InterruptedError)) throw error;
      throw new InterruptedError(carriesOn(operation, this.stackName, this));
    };
  }

  async destroy(options: OperationOptions = {}): Promise<DestroyResult> {
    return this.aws(async () => {
      await this.env.checkCredentials();
      await options.onStart?.(0);
      const destroyed = await this.deployer
        .deleteStack(this.stackName, options.onProgress, options.signal)
        .catch(this.carriesOn('delete'));
      this.stack = undefined;
      return { stackName: this.stackName, target: this.kind, destroyed, location: this.location };
    });
  }

  async status(): Promise<StackStatus> {
    return this.aws(async () => {
      const stack = await this.describe();
      if (!stack) return notDeployedStatus(this);
      const complete = stack.outputs.QueueUrl !== undefined;
      const [queue, snapshot, failedAggregations] = complete
        ? await Promise.all([this.queueStatus(stack), this.latestSnapshot(), this.failedAggregations(stack)])
        : [null, undefined, null];
      const parameters = parametersOf(stack.parameters);
      const now = this.clock.now();
      const next = parameters.ScheduleEnabled
        ? parseSchedule(parameters.ScheduleExpression).next(now)
        : Number.POSITIVE_INFINITY;
      return {
        ...notDeployedStatus(this),
        deployed: true,
        createdAt: stack.createdAt?.toISOString() ?? null,
        updatedAt: (stack.updatedAt ?? stack.createdAt)?.toISOString() ?? null,
        parameters,
        queue,
        lastAggregation: snapshot?.updated ?? null,
        nextScheduledRun: isoTimeOrNull(next),
        failedAggregations,
        clockErrors: snapshot ? clockErrorOf('lastAggregation', Date.parse(snapshot.updated), now) : [],
        details: {
          kind: 'aws',
          stackStatus: stack.status,
          outputs: stack.outputs,
          region: this.region,
          // The console shows AWS's resources, not an emulator's.
          console: this.env.settings.endpointUrl ? {} : consoleLinks(this.region, stack, stack.outputs),
        },
      };
    });
  }

  /**
   * One GetQueueAttributes per queue (the queue, its dead letters) and nothing else. The storing side
   * comes from what the last aggregate() returned: the window's per-second counters, which its count
   * reads anyway, give the newest stored event's second and the events marked stored since the
   * previous reading (null before an aggregation, or from a function deployed by an older version).
   * SQS keeps no count of what was sent (n/a). EventBridge is not asked for its schedule: the next run
   * is the expression's next firing, as status gives it; the last scheduled run is not recorded (n/a).
   */
  async health(): Promise<PipelineHealth> {
    return this.aws(async () => {
      const stack = await this.deployed();
      const queue = await this.queueStatus(stack);
      const parameters = parametersOf(stack.parameters);
      const now = this.clock.now();
      const { latest } = this.storing;
      if (latest && latest !== this.storing.counted) {
        if (this.storing.counted) this.storing.marked += markedBetween(this.storing.counted, latest);
        this.storing.counted = latest;
      }
      return {
        at: now,
        sentCount: null,
        storedCount: latest ? this.storing.marked : null,
        queue: {
          visible: queue.visible,
          inFlight: queue.inFlight,
          deadLetters: queue.deadLetters,
          approximate: true,
        },
        // To the second: the counters are per second.
        newestEventTime: latest?.newestSecond == null ? null : latest.newestSecond * SECOND_MS,
        lastScheduledRun: null,
        nextScheduledRun: parameters.ScheduleEnabled
          ? isoTimeOrNull(parseSchedule(parameters.ScheduleExpression).next(now))
          : null,
      };
    });
  }

  async outputs(): Promise<Record<string, string>> {
    return this.aws(async () => ({ ...(await this.deployed()).outputs }));
  }

  async openStream(signal?: AbortSignal): Promise<StreamSession> {
    return this.aws(async () => {
      const queueUrl = this.options.queueUrl ?? (await this.output('QueueUrl'));
      const producer = new SqsEventSender({
        client: await this.env.sqs(),
        queueUrl,
        clock: this.clock,
        signal,
        errorContext: { settings: this.env.settings, selector: this.selector },
        throttles: () => this.env.sqsThrottles(),
      });
      const sender = withSend(producer, async (events) => {
        try {
          return await producer.send(events);
        } catch (error) {
          // The stack's queue gone: destroyed with its stack, or deleted by hand (--queue-url: yours).
          const missing = (error as { code?: string }).code === 'AWS_RESOURCE_MISSING';
          throw missing && !this.options.queueUrl ? await this.missingResource(error) : error;
        }
      });
      return {
        sender,
        // Lambda stores what the queue accepted on its own; there is nothing to wait for here.
        finish: async () => {
          const queue = this.options.queueUrl ? undefined : await this.queueStatus(await this.deployed());
          return {
            stored: null,
            storedByOthers: null,
            failedDeliveries: null,
            inFlight: queue?.inFlight ?? 0,
            deadLetters: queue?.deadLetters ?? 0,
            approximate: true,
          };
        },
      };
    });
  }

  /**
   * CloudFormation is not polled (it would cost a request a second, against a low quota): the next
   * call finds the stack's queue or function gone, and says whether the stack was destroyed.
   */
  watchStack(signal?: AbortSignal): StackWatch {
    return signalOnlyWatch(signal);
  }

  async aggregate(options: { signal?: AbortSignal } = {}): Promise<Snapshot> {
    return this.aws(async () => {
      const { snapshot, storing } = await invokeAggregation(
        await this.env.lambda(),
        await this.output('AggregationFunctionName'),
        { clock: this.clock, signal: options.signal, deployCommand: suggest(this, 'deploy') },
      );
      this.storing.latest = storing;
      return snapshot;
    });
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    return this.aws(async () => {
      const table = await this.output('AggregatesTableName');
      return new DynamoSnapshotRepository(await this.env.dynamodb(), table).latestSnapshot();
    });
  }

  /**
   * Peeks at the dead-letter queue: ReceiveMessage with a visibility timeout of 0, so every message
   * stays there, visible. SQS samples its servers, so a peek may miss some of a large queue.
   */
  async deadLetters(limit: number): Promise<DeadLetterView[]> {
    return this.aws(async () => {
      const sqs = await this.env.sqs();
      const queueUrl = await this.output('DeadLetterQueueUrl');
      const seen = new Map<string, DeadLetterView>();
      for (let attempt = 0; seen.size < limit && attempt < Math.ceil(limit / 10) + 3; attempt++) {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, limit - seen.size),
            VisibilityTimeout: 0,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        if (!out.Messages?.length) break;
        for (const m of out.Messages) {
          if (!m.MessageId || seen.has(m.MessageId)) continue;
          const sent = Number(m.Attributes?.SentTimestamp);
          seen.set(m.MessageId, {
            messageId: m.MessageId,
            receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
            sentAt: Number.isFinite(sent) ? new Date(sent).toISOString() : null,
            deadAt: null,
            error: null,
            ...truncatedBody(m.Body ?? ''),
          });
        }
      }
      return [...seen.values()].sort((a, b) => (a.sentAt ?? '').localeCompare(b.sentAt ?? ''));
    });
  }

  async deadLetterCount(): Promise<DeadLetterCount> {
    return this.aws(async () => {
      const depth = await approximateCounts(
        await this.env.sqs(),
        await this.output('DeadLetterQueueUrl'),
        this,
      );
      return { count: depth.visible + depth.inFlight, approximate: true };
    });
  }

  /**
   * Moves dead letters back to the queue: with a limit, at most that many by hand (receive, send,
   * delete what was sent); without, SQS's StartMessageMoveTask, followed to its end. The signal
   * (Ctrl-C) stops a move by hand between batches, and the following of a move task.
   */
  async redrive(options: RedriveOptions & { signal?: AbortSignal } = {}): Promise<RedriveResult> {
    return this.aws(async () => {
      const stack = await this.deployed();
      const before = await this.queueStatus(stack);
      if (before.deadLetters === 0) return { moved: 0, remaining: 0 };
      const context = {
        sqs: await this.env.sqs(),
        queues: {
          queueUrl: await this.output('QueueUrl'),
          queueArn: await this.output('QueueArn'),
          deadLetterUrl: await this.output('DeadLetterQueueUrl'),
          deadLetterArn: await this.output('DeadLetterQueueArn'),
        },
        clock: this.clock,
        signal: options.signal,
        onProgress: options.onProgress,
      };
      const moved =
        options.limit === undefined
          ? await followMoveTask({
              ...context,
              stackName: this.stackName,
              pollIntervalMs: this.options.pollIntervalMs ?? 1000,
            })
          : await moveByHand(options.limit, context, Math.min(options.limit, before.deadLetters));
      return { moved, remaining: (await this.queueStatus(stack)).deadLetters };
    });
  }

  /** How many of these events the events table holds, by their keys (verify). */
  async countStored(events: readonly EventKey[]): Promise<number> {
    return this.aws(async () =>
      countStored(await this.env.dynamodb(), await this.output('EventsTableName'), events),
    );
  }

  /**
   * The deployed stack itself: a new stack takes minutes to create. Other traffic may share it, so
   * verify checks that each county counts at least its own events.
   */
  async openVerification(): Promise<Verification> {
    await this.ensureDeployed();
    return { pipeline: this, exclusive: false, dispose: async () => {} };
  }

  /** The functions' CloudWatch Logs groups, read with FilterLogEvents (see CloudWatchFunctionLogs). */
  async *logs(query: LogQuery, options: LogReadOptions = {}): AsyncGenerator<LogLine[]> {
    try {
      const functionOutputs: Record<FunctionName, Output> = {
        storing: 'StoringFunctionName',
        aggregation: 'AggregationFunctionName',
      };
      const groups = [];
      for (const fn of FUNCTION_NAMES)
        if (query.functions.includes(fn))
          groups.push({ function: fn, logGroupName: logGroupOf(await this.output(functionOutputs[fn])) });
      const reader = new CloudWatchFunctionLogs({ client: await this.env.logs(), groups, clock: this.clock });
      yield* reader.read(query, options);
    } catch (error) {
      throw (
        toUserError(error, {
          settings: this.env.settings,
          stackName: this.stackName,
          resource: 'log group',
          selector: this.selector,
        }) ?? error
      );
    }
  }

  async close(): Promise<void> {
    await this.env.destroy();
  }

  private async describe(): Promise<StackInfo | undefined> {
    this.stack = await this.deployer.describe(this.stackName);
    return this.stack;
  }

  /** The stack, with its outputs: deployed and not in the middle of its first create. */
  private async deployed(): Promise<StackInfo> {
    const stack = this.stack ?? (await this.describe());
    if (!stack || stack.outputs.QueueUrl === undefined) throw notDeployedError(this, stack?.status);
    return stack;
  }

  private async output(name: Output): Promise<string> {
    const stack = await this.deployed();
    const value = stack.outputs[name];
    if (value === undefined) {
      throw new StackStateError(
        `Stack "${this.stackName}" has no ${name} output: it was deployed by another version of sensorpipe.`,
        'STACK_OUTPUTS',
        { suggestions: [`Run: ${suggest(this, 'deploy')}`] },
      );
    }
    return value;
  }

  /** Approximate depths, as SQS gives them; SQS does not tell the age of the oldest message. */
  private async queueStatus(stack: StackInfo): Promise<QueueStatus> {
    const sqs = await this.env.sqs();
    const [main, dead] = await Promise.all([
      approximateCounts(sqs, stack.outputs.QueueUrl ?? '', this),
      approximateCounts(sqs, stack.outputs.DeadLetterQueueUrl ?? '', this),
    ]);
    return {
      visible: main.visible,
      inFlight: main.inFlight,
      deadLetters: dead.visible + dead.inFlight,
      oldestDeadLetterAgeSeconds: null,
      approximate: true,
    };
  }

  /**
   * The failed scheduled runs Lambda keeps in the stack's failure queue (its on-failure
   * destination): SQS's approximate depth. Null for a stack deployed without that queue.
   */
  private async failedAggregations(stack: StackInfo): Promise<number | null> {
    const queueUrl = stack.outputs.AggregationFailureQueueUrl;
    if (queueUrl === undefined) return null;
    const depth = await approximateCounts(await this.env.sqs(), queueUrl, this);
    return depth.visible + depth.inFlight;
  }

  /** Runs an AWS call, turning the failures a user fixes outside sensorpipe into one line. */
  private async aws<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const userError =
        toUserError(error, {
          settings: this.env.settings,
          stackName: this.stackName,
          selector: this.selector,
        }) ?? error;
      throw isResourceMissing(error) ? await this.missingResource(userError) : userError;
    }
  }

  /**
   * A queue or function of the stack is missing: when the stack itself is gone (or going), it was
   * destroyed while this command ran, and that is what to say; otherwise `error` (deleted by hand).
   */
  private async missingResource(error: unknown): Promise<unknown> {
    let stack: StackInfo | undefined;
    try {
      stack = await this.deployer.describe(this.stackName);
    } catch {
      return error;
    }
    this.stack = stack;
    return !stack || stack.status.startsWith('DELETE_') ? new StackGoneError(this, 'destroyed') : error;
  }
}

async function approximateCounts(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  stack: Pick<StackRef, 'stackName' | 'selector'>,
): Promise<{ visible: number; inFlight: number }> {
  try {
    const { Attributes: a = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  } catch (error) {
    if (isResourceMissing(error))
      throw toUserError(error, { stackName: stack.stackName, selector: stack.selector, resource: 'queue' });
    throw error;
  }
}

/** Stack parameters as CloudFormation's strings. */
export function templateParameters(parameters: Partial<AllParameters>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parameters).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, encodeValue(value)]],
    ),
  );
}

/** A deployed stack's parameters, typed; ones the template has and sensorpipe does not know are left out. */
export function parametersOf(values: Record<string, string>): StackParameters & Partial<AllParameters> {
  return decodeParameters('aws', values) as StackParameters & Partial<AllParameters>;
}

function pick(parameters: Partial<AllParameters>, keys: ParameterName[]): Partial<AllParameters> {
  return Object.fromEntries(keys.map((key) => [key, parameters[key]])) as Partial<AllParameters>;
}
