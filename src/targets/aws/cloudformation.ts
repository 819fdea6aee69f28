import { randomUUID } from 'node:crypto';
import {
  type StackEvent as ApiStackEvent,
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStackResourcesCommand,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { type Clock, systemClock } from '../../core/clock.js';
import { OperationError, StackStateError } from '../../core/errors.js';
import { pause, type WaitContext } from '../../core/retry.js';
import { type StackRef, selectorFlags, suggest, suggestAws } from '../stack-ref.js';
import type { ResourceChange, StackEvent, StackProgress } from '../target.js';
import { busyStateOf, isChangeSetOvertaken, isMissingStack } from './errors.js';

/** The part of CloudFormationClient the deployer uses. */
export type CloudFormationLike = Pick<CloudFormationClient, 'send'>;

export interface StackInfo {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  createdAt?: Date;
  updatedAt?: Date;
}

export interface DeployPlan {
  stackName: string;
  kind: 'create' | 'update';
  /** The change set; undefined when there was nothing to change. */
  changeSetId?: string;
  changes: ResourceChange[];
  /** Tables and queues that the change would replace or remove: their data would be lost. */
  dataLoss: ResourceChange[];
}

export interface PlanRequest {
  stackName: string;
  templateBody: string;
  /** Parameters to set. On an update, the stack's other parameters keep their values. */
  parameters: Record<string, string>;
  tags?: Record<string, string>;
}

export interface StackDeployerOptions {
  client: CloudFormationLike;
  pollIntervalMs?: number;
  /** The polls' waits; injected so that tests control time. */
  clock?: Clock;
  /**
   * The flags that selected the stack (--region, --profile, --endpoint-url...), repeated by the
   * commands its errors suggest; --target aws and --stack-name only by default.
   */
  selector?: readonly string[];
}

const DATA_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::SQS::Queue']);
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;
const CASCADE = /Resource (creation|update) cancelled|The following resource\(s\) failed to/i;
const DONE = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'IMPORT_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'ROLLBACK_COMPLETE',
]);
const SUCCEEDED = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);
const FAILED_STATES = new Set([
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_FAILED',
  'DELETE_FAILED',
]);

/**
 * Deploys and deletes a stack the way a careful engineer does by hand: through a change set (so a
 * no-op says so, and data loss can be confirmed before anything happens), following only this
 * operation's events, and reporting the root cause of a failure rather than the stack's final state.
 */
export class StackDeployer {
  private readonly client: CloudFormationLike;
  private readonly pollIntervalMs: number;
  private readonly clock: Clock;
  private readonly selector: readonly string[] | undefined;

  constructor(options: StackDeployerOptions) {
    this.client = options.client;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.clock = options.clock ?? systemClock;
    this.selector = options.selector;
  }

  /** The stack as the commands an error suggests select it. */
  private ref(stackName: string): Pick<StackRef, 'selector'> {
    return { selector: this.selector ?? selectorFlags('aws', stackName, {}) };
  }

  /** The stack, or undefined when it does not exist (or was deleted). */
  async describe(stackName: string): Promise<StackInfo | undefined> {
    let stack: Stack | undefined;
    try {
      stack = (await this.client.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    } catch (error) {
      if (isMissingStack(error)) return undefined;
      throw error;
    }
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
    return stackInfo(stack);
  }

  /**
   * Creates a change set and waits for it. Refuses a stack that is busy or that cannot be updated
   * (ROLLBACK_COMPLETE: see StackNeedsRecreateError). A change set without changes is deleted and the
   * plan has no changeSetId. The signal (Ctrl-C) ends the wait with an InterruptedError.
   */
  async plan(request: PlanRequest, signal?: AbortSignal): Promise<DeployPlan> {
    const current = await this.describe(request.stackName);
    const kind = !current || current.status === 'REVIEW_IN_PROGRESS' ? 'create' : 'update';
    if (current) await this.checkUpdatable(current);
    const parameters: Parameter[] = Object.entries(request.parameters).map(([key, value]) => ({
      ParameterKey: key,
      ParameterValue: value,
    }));
    if (kind === 'update' && current) {
      for (const key of Object.keys(current.parameters)) {
        if (!(key in request.parameters)) parameters.push({ ParameterKey: key, UsePreviousValue: true });
      }
    }
    let changeSetId: string;
    try {
      const created = await this.client.send(
        new CreateChangeSetCommand({
          StackName: request.stackName,
          ChangeSetName: `sensorpipe-${Date.now()}`,
          ChangeSetType: kind === 'create' ? 'CREATE' : 'UPDATE',
          TemplateBody: request.templateBody,
          Parameters: parameters,
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
          Tags: Object.entries(request.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      changeSetId = created.Id ?? '';
    } catch (error) {
      const busy = busyStateOf(error);
      if (busy) throw busyError(request.stackName, busy, this.ref(request.stackName));
      throw error;
    }
    const changeSet = await this.waitForChangeSet(changeSetId, {
      clock: this.clock,
      signal,
      interrupted: `Interrupted while CloudFormation planned the deploy of stack "${request.stackName}": nothing was deployed.`,
    });
    if (changeSet.Status === 'FAILED') {
      await this.client.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId }));
      if (NO_CHANGES.test(changeSet.StatusReason ?? '')) {
        return { stackName: request.stackName, kind, changeSetId: undefined, changes: [], dataLoss: [] };
      }
      throw new OperationError(
        `CloudFormation could not plan the deploy of "${request.stackName}": ${changeSet.StatusReason ?? 'no reason given'}`,
        'AWS_CHANGE_SET_FAILED',
      );
    }
    const changes = (changeSet.Changes ?? []).flatMap(resourceChange);
    return {
      stackName: request.stackName,
      kind,
      changeSetId,
      changes,
      dataLoss: changes.filter(
        (c) =>
          DATA_TYPES.has(c.resourceType) &&
          (c.action === 'Remove' ||
            (c.action === 'Modify' && (c.replacement === 'True' || c.replacement === 'Conditional'))),
      ),
    };
  }

  /** Drops a plan that will not be executed; for a create, also the empty stack the change set made. */
  async discard(plan: DeployPlan): Promise<void> {
    if (!plan.changeSetId) return;
    try {
      await this.client.send(new DeleteChangeSetCommand({ ChangeSetName: plan.changeSetId }));
    } catch (error) {
      // Deleted already: another deploy's change set ran, and CloudFormation deleted this one.
      if (!isChangeSetOvertaken(error)) throw error;
    }
    if (plan.kind === 'create') {
      const stack = await this.describe(plan.stackName);
      if (stack?.status === 'REVIEW_IN_PROGRESS')
        await this.client.send(new DeleteStackCommand({ StackName: stack.stackId }));
    }
  }

  /**
   * Executes the plan and follows it to the end; fails with the root cause when it rolls back. The
   * signal (Ctrl-C) stops the following with an InterruptedError; CloudFormation carries on.
   */
  async execute(
    plan: DeployPlan,
    onProgress?: (progress: StackProgress) => void,
    signal?: AbortSignal,
  ): Promise<StackInfo> {
    if (!plan.changeSetId) throw new Error('execute() of a plan without changes');
    const changeSetId = plan.changeSetId;
    const token = `sensorpipe-${randomUUID()}`;
    let stackId: string;
    try {
      const changeSet = await this.client.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId }));
      stackId = changeSet.StackId ?? plan.stackName;
      await this.client.send(
        new ExecuteChangeSetCommand({ ChangeSetName: plan.changeSetId, ClientRequestToken: token }),
      );
    } catch (error) {
      // CloudFormation's own locking: another deploy's change set ran first (or runs now).
      throw concurrentDeployError(plan.stackName, error, this.ref(plan.stackName)) ?? error;
    }
    const events = await this.follow(stackId, token, plan.changes.length, onProgress, {
      clock: this.clock,
      signal,
      interrupted: carriesOn('deploy', plan.stackName, this.ref(plan.stackName)),
    });
    const stack = await this.describe(stackId);
    if (stack && SUCCEEDED.has(stack.status)) return stack;
    throw deployFailure(plan.stackName, stack?.status ?? 'DELETE_COMPLETE', events, stack?.statusReason);
  }

  /**
   * Deletes the stack and waits; false when there was none. Fails with the resources left behind.
   * The signal (Ctrl-C) stops the waiting with an InterruptedError; CloudFormation carries on.
   */
  async deleteStack(
    stackName: string,
    onProgress?: (progress: StackProgress) => void,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const stack = await this.describe(stackName);
    if (!stack) return false;
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS')
      throw busyError(stackName, stack.status, this.ref(stackName));
    const token = `sensorpipe-${randomUUID()}`;
    await this.client.send(new DeleteStackCommand({ StackName: stack.stackId, ClientRequestToken: token }));
    const total = Math.max(1, await this.resourceCount(stack.stackId));
    const events = await this.follow(stack.stackId, token, total, onProgress, {
      clock: this.clock,
      signal,
      interrupted: carriesOn('delete', stackName, this.ref(stackName)),
    });
    const after = await this.describe(stack.stackId);
    if (!after) return true;
    const failed = rootCauses(events);
    const reasons = failed.length
      ? failed.map((e) => `${e.logicalId} (${e.resourceType}): ${e.reason ?? e.status}`).join('; ')
      : (after.statusReason ?? after.status);
    throw new OperationError(
      `Could not delete stack "${stackName}" (${after.status}): ${reasons}. Remove what is left by hand (it is listed in the CloudFormation console), then run destroy again.`,
      'AWS_DELETE_FAILED',
    );
  }

  /** Polls until the stack reaches a terminal state; returns this operation's events, oldest first. */
  private async follow(
    stackId: string,
    token: string,
    total: number,
    onProgress: ((progress: StackProgress) => void) | undefined,
    wait: PollWait,
  ): Promise<StackEvent[]> {
    const seen = new Set<string>();
    const events: StackEvent[] = [];
    const completed = new Set<string>();
    for (;;) {
      const fresh = await this.newEvents(stackId, token, seen);
      for (const event of fresh) {
        events.push(event);
        const isStack = event.resourceType === 'AWS::CloudFormation::Stack';
        if (!isStack && (event.status.endsWith('_COMPLETE') || event.status === 'DELETE_SKIPPED'))
          completed.add(event.logicalId);
        onProgress?.({ done: Math.min(completed.size, total), total, event });
      }
      const stack = await this.client.send(new DescribeStacksCommand({ StackName: stackId }));
      const status = stack.Stacks?.[0]?.StackStatus ?? 'DELETE_COMPLETE';
      if (!status.endsWith('_IN_PROGRESS') || status === 'REVIEW_IN_PROGRESS') {
        if (status === 'DELETE_COMPLETE' || DONE.has(status) || FAILED_STATES.has(status)) {
          // Events written between the last read and the final state.
          for (const event of await this.newEvents(stackId, token, seen)) {
            events.push(event);
            onProgress?.({ done: Math.min(completed.size, total), total, event });
          }
          return events;
        }
      }
      await pause(this.pollIntervalMs, wait, wait.interrupted);
    }
  }

  /** Events of this operation not seen yet, oldest first (the API pages them newest first). */
  private async newEvents(stackId: string, token: string, seen: Set<string>): Promise<StackEvent[]> {
    const fresh: StackEvent[] = [];
    let nextToken: string | undefined;
    pages: do {
      const page = await this.client.send(
        new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }),
      );
      for (const event of page.StackEvents ?? []) {
        if (!event.EventId || seen.has(event.EventId)) break pages;
        seen.add(event.EventId);
        if (event.ClientRequestToken !== token) continue;
        fresh.push(stackEvent(event));
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return fresh.reverse();
  }

  private async resourceCount(stackId: string): Promise<number> {
    let count = 0;
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListStackResourcesCommand({ StackName: stackId, NextToken: nextToken }),
      );
      count += page.StackResourceSummaries?.length ?? 0;
      nextToken = page.NextToken;
    } while (nextToken);
    return count;
  }

  private async waitForChangeSet(id: string, wait: PollWait): Promise<DescribeChangeSetCommandOutput> {
    for (;;) {
      const first = await this.client.send(new DescribeChangeSetCommand({ ChangeSetName: id }));
      if (first.Status === 'CREATE_COMPLETE' || first.Status === 'FAILED') {
        const changes = [...(first.Changes ?? [])];
        for (let next = first.NextToken; next; ) {
          const page = await this.client.send(
            new DescribeChangeSetCommand({ ChangeSetName: id, NextToken: next }),
          );
          changes.push(...(page.Changes ?? []));
          next = page.NextToken;
        }
        return { ...first, Changes: changes };
      }
      await pause(Math.min(this.pollIntervalMs, 1000), wait, wait.interrupted);
    }
  }

  private async checkUpdatable(stack: StackInfo): Promise<void> {
    if (stack.status === 'ROLLBACK_COMPLETE' || stack.status === 'ROLLBACK_FAILED') {
      throw new StackNeedsRecreateError(
        stack,
        await this.firstFailure(stack.stackId),
        this.ref(stack.stackName),
      );
    }
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS')
      throw busyError(stack.stackName, stack.status, this.ref(stack.stackName));
    if (stack.status === 'DELETE_FAILED' || stack.status === 'UPDATE_ROLLBACK_FAILED') {
      throw new StackStateError(
        `Stack "${stack.stackName}" is in ${stack.status}${stack.statusReason ? ` (${stack.statusReason})` : ''} and cannot be updated. Fix it in the CloudFormation console (continue the rollback, or delete it), then deploy again.`,
        'STACK_FAILED_STATE',
      );
    }
  }

  /**
   * The first failure recorded for a stack left in ROLLBACK_COMPLETE, whose history is its one
   * failed create (read from the newest event back, a bounded number of pages).
   */
  private async firstFailure(stackId: string): Promise<StackEvent | undefined> {
    const events: StackEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await this.client.send(
        new DescribeStackEventsCommand({ StackName: stackId, NextToken: nextToken }),
      );
      events.push(...(result.StackEvents ?? []).map(stackEvent));
      nextToken = result.NextToken;
      if (!nextToken) break;
    }
    return rootCauses(events.reverse())[0];
  }
}

/** A stack whose first create failed: it cannot be updated, only deleted and created again. */
export class StackNeedsRecreateError extends StackStateError {
  constructor(
    readonly stackInfo: StackInfo,
    readonly failure?: StackEvent,
    ref: Pick<StackRef, 'selector'> = { selector: selectorFlags('aws', stackInfo.stackName, {}) },
  ) {
    const stack = stackInfo;
    super(
      `Stack "${stack.stackName}" is in ${stack.status}: its first create failed${failure ? ` (${describeEvent(failure)})` : ''} and a stack in that state cannot be updated. It must be deleted and created again.`,
      'STACK_ROLLBACK_COMPLETE',
      {
        suggestions: [`Run: ${suggest(ref, 'destroy')}, then ${suggest(ref, 'deploy')}`],
      },
    );
  }
}

function busyError(stackName: string, status: string, ref: Pick<StackRef, 'selector'>): StackStateError {
  return new StackStateError(
    `Stack "${stackName}" is busy (${status}): another operation is running on it. Wait for it to finish (${suggestAws(ref, 'cloudformation', 'describe-stacks', '--stack-name', stackName)}), then try again.`,
    'STACK_BUSY',
  );
}

/**
 * A deploy that lost to another one at the same moment, as CloudFormation refuses it: its change set
 * was deleted when the other's ran, or the stack is busy running it. Undefined for other errors.
 */
function concurrentDeployError(
  stackName: string,
  error: unknown,
  ref: Pick<StackRef, 'selector'>,
): StackStateError | undefined {
  const busy = busyStateOf(error);
  if (busy) return busyError(stackName, busy, ref);
  if (!isChangeSetOvertaken(error)) return undefined;
  return new StackStateError(
    `Stack "${stackName}" was changed by another deploy while this one was being planned: nothing of this deploy was applied. Run the deploy again once the other one is done (${suggestAws(ref, 'cloudformation', 'describe-stacks', '--stack-name', stackName)}).`,
    'STACK_BUSY',
    { cause: error },
  );
}

function deployFailure(
  stackName: string,
  status: string,
  events: StackEvent[],
  statusReason?: string,
): OperationError {
  const [first] = rootCauses(events);
  const cause = first ? describeEvent(first) : (statusReason ?? 'no resource reported a reason');
  const error = new OperationError(
    `Deploy of "${stackName}" failed: ${cause}. The stack rolled back to ${status}.`,
    'AWS_DEPLOY_FAILED',
  );
  return Object.assign(error, { events });
}

/** Failed resource events that are causes, not the cancellations and summaries that follow one. */
function rootCauses(events: StackEvent[]): StackEvent[] {
  return events.filter(
    (e) =>
      e.status.endsWith('_FAILED') &&
      e.resourceType !== 'AWS::CloudFormation::Stack' &&
      !CASCADE.test(e.reason ?? ''),
  );
}

function stackEvent(event: ApiStackEvent): StackEvent {
  return {
    timestamp: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? '',
    resourceType: event.ResourceType ?? '',
    status: event.ResourceStatus ?? '',
    reason: event.ResourceStatusReason,
  };
}

function describeEvent(event: StackEvent): string {
  return `${event.logicalId} (${event.resourceType}) ${event.status}: ${event.reason ?? 'no reason given'}`;
}

function resourceChange(change: Change): ResourceChange[] {
  const r = change.ResourceChange;
  if (!r) return [];
  return [
    {
      action: r.Action ?? 'Unknown',
      logicalId: r.LogicalResourceId ?? '',
      resourceType: r.ResourceType ?? '',
      replacement: r.Replacement,
    },
  ];
}

function stackInfo(stack: Stack): StackInfo {
  return {
    stackId: stack.StackId ?? '',
    stackName: stack.StackName ?? '',
    status: stack.StackStatus ?? '',
    statusReason: stack.StackStatusReason,
    parameters: Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue])),
    outputs: Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue])),
    createdAt: stack.CreationTime,
    updatedAt: stack.LastUpdatedTime,
  };
}

/** A poll's wait, and what an interrupted one says. */
interface PollWait extends WaitContext {
  interrupted: string;
}

/** Ctrl-C while CloudFormation works: it carries on, and this says how to follow it. */
export function carriesOn(
  operation: 'deploy' | 'delete',
  stackName: string,
  ref: Pick<StackRef, 'selector'>,
): string {
  return `Interrupted: CloudFormation carries on with the ${operation} of stack "${stackName}". Follow it with: ${suggestAws(ref, 'cloudformation', 'describe-stack-events', '--stack-name', stackName)} (or run ${suggest(ref, 'status')}).`;
}
