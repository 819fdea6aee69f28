/**
 * A stateful fake of CloudFormation on aws-sdk-client-mock: stacks, change sets and events in memory,
 * so whole flows run (plan, execute, follow events, fail and roll back, delete). Each DescribeStacks
 * of a stack in progress moves its operation one step on, as time would. Events are paged newest
 * first, and earlier operations' events stay in the history, as in CloudFormation.
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStackResourcesCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeResource {
  logicalId: string;
  type: string;
}

export interface FakeChange extends FakeResource {
  action: 'Add' | 'Modify' | 'Remove';
  replacement?: 'True' | 'False' | 'Conditional';
}

interface Stack {
  id: string;
  name: string;
  status: string;
  statusReason?: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  resources: FakeResource[];
  /** Newest first. */
  events: StackEvent[];
  steps: (() => void)[];
  created: Date;
}

interface ChangeSet {
  id: string;
  stackId: string;
  type: 'CREATE' | 'UPDATE';
  status: string;
  reason?: string;
  changes: FakeChange[];
  parameters: Record<string, string>;
  reads: number;
}

export const PIPELINE_RESOURCES: FakeResource[] = [
  { logicalId: 'DeadLetterQueue', type: 'AWS::SQS::Queue' },
  { logicalId: 'Queue', type: 'AWS::SQS::Queue' },
  { logicalId: 'EventsTable', type: 'AWS::DynamoDB::Table' },
  { logicalId: 'AggregatesTable', type: 'AWS::DynamoDB::Table' },
  { logicalId: 'StoringFunction', type: 'AWS::Lambda::Function' },
  { logicalId: 'AggregationFunction', type: 'AWS::Lambda::Function' },
];

function serviceError(name: string, message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message,
  });
}

export class FakeCloudFormation {
  readonly mock = mockClient(CloudFormationClient);
  readonly client = new CloudFormationClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
  });
  readonly stacks = new Map<string, Stack>();
  readonly changeSets = new Map<string, ChangeSet>();
  /** What the next change set reports; by default every pipeline resource added, or `updateChanges`. */
  nextChanges: FakeChange[] | undefined;
  /** What every update's change set reports when `nextChanges` is not set (nothing, by default). */
  updateChanges: FakeChange[] = [];
  /** Outputs a successful deploy sets. */
  outputs: Record<string, string> = { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' };
  /** Events per DescribeStackEvents page. */
  pageSize = 3;
  /** Change set reads before it is ready. */
  changeSetReads = 1;
  private failures = new Map<string, string>();
  private stackFailure: string | undefined;
  private deleteFailures = new Map<string, string>();
  private throttles = 0;
  private sequence = 0;

  constructor() {
    const m = this.mock;
    m.on(DescribeStacksCommand).callsFake((input) => this.describeStacks(input.StackName));
    m.on(DescribeStackEventsCommand).callsFake((input) =>
      this.describeEvents(input.StackName, input.NextToken),
    );
    m.on(CreateChangeSetCommand).callsFake((input) => this.createChangeSet(input));
    m.on(DescribeChangeSetCommand).callsFake((input) => this.describeChangeSet(input.ChangeSetName));
    m.on(DeleteChangeSetCommand).callsFake((input) => {
      if (!this.changeSets.delete(input.ChangeSetName ?? ''))
        throw serviceError('ChangeSetNotFoundException', `ChangeSet [${input.ChangeSetName}] does not exist`);
      return {};
    });
    m.on(ExecuteChangeSetCommand).callsFake((input) =>
      this.execute(input.ChangeSetName, input.ClientRequestToken),
    );
    m.on(DeleteStackCommand).callsFake((input) =>
      this.deleteStack(input.StackName, input.ClientRequestToken),
    );
    m.on(ListStackResourcesCommand).callsFake((input) => ({
      StackResourceSummaries: this.find(input.StackName)?.resources.map((r) => ({
        LogicalResourceId: r.logicalId,
        ResourceType: r.type,
      })),
    }));
  }

  /**
   * The next deploy of this resource fails with `reason`. Several may fail in one deploy: each at
   * its turn in the change set's order, so the first one named in the change set fails first.
   */
  failResource(logicalId: string, reason: string): void {
    this.failures.set(logicalId, reason);
  }

  /** The next deploy writes a stack-level `_FAILED` event with `reason` before any resource event. */
  failStack(reason: string): void {
    this.stackFailure = reason;
  }

  /** The next delete of this resource fails with `reason`. */
  failDelete(logicalId: string, reason: string): void {
    this.deleteFailures.set(logicalId, reason);
  }

  /** The next `n` Describe calls are throttled. */
  throttle(n: number): void {
    this.throttles = n;
  }

  /** A stack that already exists, in any state, with a history of events from an earlier operation. */
  addStack(
    name: string,
    status: string,
    options: { parameters?: Record<string, string>; events?: StackEvent[]; resources?: FakeResource[] } = {},
  ): Stack {
    const stack = this.newStack(name);
    stack.status = status;
    stack.parameters = options.parameters ?? {};
    stack.resources = options.resources ?? [...PIPELINE_RESOURCES];
    stack.events = [...(options.events ?? [])];
    return stack;
  }

  /** An event as CloudFormation writes it. */
  event(
    stack: Stack,
    resource: FakeResource | 'stack',
    status: string,
    reason?: string,
    token?: string,
  ): StackEvent {
    const isStack = resource === 'stack';
    return {
      EventId: `e-${++this.sequence}`,
      StackId: stack.id,
      StackName: stack.name,
      LogicalResourceId: isStack ? stack.name : resource.logicalId,
      ResourceType: isStack ? 'AWS::CloudFormation::Stack' : resource.type,
      ResourceStatus: status as never,
      ResourceStatusReason: reason,
      Timestamp: new Date(Date.UTC(2026, 10, 28) + this.sequence * 1000),
      ClientRequestToken: token,
    };
  }

  private newStack(name: string): Stack {
    const stack: Stack = {
      id: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/${++this.sequence}`,
      name,
      status: 'REVIEW_IN_PROGRESS',
      parameters: {},
      outputs: {},
      resources: [],
      events: [],
      steps: [],
      created: new Date(),
    };
    this.stacks.set(stack.id, stack);
    return stack;
  }

  /** By name: the live stack; by id: any, deleted ones too. */
  private find(nameOrId: string | undefined): Stack | undefined {
    if (!nameOrId) return undefined;
    const byId = this.stacks.get(nameOrId);
    if (byId) return byId;
    return [...this.stacks.values()].find((s) => s.name === nameOrId && s.status !== 'DELETE_COMPLETE');
  }

  private throttled(): void {
    if (this.throttles > 0) {
      this.throttles--;
      throw serviceError('Throttling', 'Rate exceeded');
    }
  }

  private describeStacks(nameOrId: string | undefined) {
    this.throttled();
    const stack = this.find(nameOrId);
    if (!stack) throw serviceError('ValidationError', `Stack with id ${nameOrId} does not exist`);
    stack.steps.shift()?.();
    return {
      Stacks: [
        {
          StackId: stack.id,
          StackName: stack.name,
          StackStatus: stack.status as never,
          StackStatusReason: stack.statusReason,
          CreationTime: stack.created,
          Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({
            ParameterKey,
            ParameterValue,
          })),
          Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({
            OutputKey,
            OutputValue,
          })),
        },
      ],
    };
  }

  private describeEvents(nameOrId: string | undefined, nextToken: string | undefined) {
    this.throttled();
    const stack = this.find(nameOrId);
    if (!stack) throw serviceError('ValidationError', `Stack [${nameOrId}] does not exist`);
    const start = Number(nextToken ?? 0);
    const end = start + this.pageSize;
    return {
      StackEvents: stack.events.slice(start, end),
      NextToken: end < stack.events.length ? String(end) : undefined,
    };
  }

  private createChangeSet(input: {
    StackName?: string;
    ChangeSetType?: string;
    Parameters?: { ParameterKey?: string; ParameterValue?: string; UsePreviousValue?: boolean }[];
  }) {
    const existing = this.find(input.StackName);
    if (existing?.status.endsWith('_IN_PROGRESS') && existing.status !== 'REVIEW_IN_PROGRESS') {
      throw serviceError(
        'ValidationError',
        `Stack:${existing.id} is in ${existing.status} state and can not be updated.`,
      );
    }
    if (input.ChangeSetType === 'CREATE' && existing && existing.status !== 'REVIEW_IN_PROGRESS')
      throw serviceError('AlreadyExistsException', `Stack [${input.StackName}] already exists`);
    if (input.ChangeSetType === 'UPDATE' && !existing)
      throw serviceError('ValidationError', `Stack [${input.StackName}] does not exist`);
    const stack = existing ?? this.newStack(input.StackName ?? '');
    const parameters: Record<string, string> = {};
    for (const p of input.Parameters ?? []) {
      if (!p.ParameterKey) continue;
      if (p.UsePreviousValue) {
        const previous = stack.parameters[p.ParameterKey];
        if (previous === undefined)
          throw serviceError('ValidationError', `No previous value for ${p.ParameterKey}`);
        parameters[p.ParameterKey] = previous;
      } else parameters[p.ParameterKey] = p.ParameterValue ?? '';
    }
    const changes =
      this.nextChanges ??
      (input.ChangeSetType === 'CREATE'
        ? PIPELINE_RESOURCES.map((r) => ({ ...r, action: 'Add' as const }))
        : this.updateChanges);
    this.nextChanges = undefined;
    const id = `arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs${++this.sequence}`;
    this.changeSets.set(id, {
      id,
      stackId: stack.id,
      type: input.ChangeSetType === 'CREATE' ? 'CREATE' : 'UPDATE',
      status: 'CREATE_PENDING',
      changes,
      parameters,
      reads: 0,
      ...(changes.length === 0
        ? {
            reason:
              "The submitted information didn't contain changes. Submit different information to create a change set.",
          }
        : {}),
    });
    return { Id: id, StackId: stack.id };
  }

  private describeChangeSet(id: string | undefined) {
    this.throttled();
    const set = this.changeSets.get(id ?? '');
    if (!set) throw serviceError('ChangeSetNotFoundException', `ChangeSet [${id}] does not exist`);
    if (set.status === 'CREATE_PENDING' && ++set.reads >= this.changeSetReads)
      set.status = set.reason ? 'FAILED' : 'CREATE_COMPLETE';
    return {
      ChangeSetId: set.id,
      StackId: set.stackId,
      Status: set.status as never,
      StatusReason: set.status === 'FAILED' ? set.reason : undefined,
      ExecutionStatus: (set.status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE') as never,
      Changes:
        set.status === 'CREATE_COMPLETE'
          ? set.changes.map((c) => ({
              Type: 'Resource' as const,
              ResourceChange: {
                Action: c.action,
                LogicalResourceId: c.logicalId,
                ResourceType: c.type,
                Replacement: c.replacement,
              },
            }))
          : undefined,
    };
  }

  private execute(id: string | undefined, token: string | undefined) {
    const set = this.changeSets.get(id ?? '');
    if (!set) throw serviceError('ChangeSetNotFoundException', `ChangeSet [${id}] does not exist`);
    if (set.status !== 'CREATE_COMPLETE')
      throw serviceError('InvalidChangeSetStatusException', `ChangeSet [${id}] cannot be executed`);
    const stack = this.stacks.get(set.stackId) as Stack;
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw serviceError(
        'ValidationError',
        `Stack:${stack.id} is in ${stack.status} state and can not be updated.`,
      );
    }
    // As CloudFormation does: once one change set runs, the stack's others are deleted, since they
    // were planned against a stack that is no more.
    for (const other of [...this.changeSets.values()])
      if (other.stackId === set.stackId) this.changeSets.delete(other.id);
    const create = set.type === 'CREATE';
    const verb = create ? 'CREATE' : 'UPDATE';
    const push = (e: StackEvent) => stack.events.unshift(e);
    stack.status = `${verb}_IN_PROGRESS`;
    push(this.event(stack, 'stack', `${verb}_IN_PROGRESS`, 'User Initiated', token));
    const done: FakeResource[] = [];
    const steps: (() => void)[] = [];
    const failed: FakeResource[] = [];
    const stackFailure = this.stackFailure;
    this.stackFailure = undefined;
    if (stackFailure) {
      // A stack-level failure event (a hook, a validation) written before any resource's: a summary,
      // never the cause to report.
      steps.push(() => push(this.event(stack, 'stack', `${verb}_FAILED`, stackFailure, token)));
    }
    for (const change of set.changes) {
      const action = change.action === 'Add' ? 'CREATE' : change.action === 'Remove' ? 'DELETE' : 'UPDATE';
      steps.push(() => {
        const reason = this.failures.get(change.logicalId);
        // After a failure, CloudFormation cancels what has not started; what was already on its way
        // and fails on its own still reports its own reason, later.
        if (failed.length > 0 && !reason) return;
        push(this.event(stack, change, `${action}_IN_PROGRESS`, undefined, token));
        if (reason) {
          this.failures.delete(change.logicalId);
          failed.push(change);
          push(this.event(stack, change, `${action}_FAILED`, reason, token));
          return;
        }
        push(this.event(stack, change, `${action}_COMPLETE`, undefined, token));
        done.push(change);
      });
    }
    steps.push(() => {
      if (failed.length === 0) {
        stack.status = `${verb}_COMPLETE`;
        stack.parameters = set.parameters;
        stack.outputs = { ...this.outputs };
        stack.resources = [
          ...stack.resources.filter(
            (r) => !set.changes.some((c) => c.logicalId === r.logicalId && c.action === 'Remove'),
          ),
          ...set.changes
            .filter((c) => c.action === 'Add')
            .map(({ logicalId, type }) => ({ logicalId, type })),
        ];
        push(this.event(stack, 'stack', `${verb}_COMPLETE`, undefined, token));
        return;
      }
      // The cascade that follows a failure, which must not be reported as its cause.
      for (const other of set.changes.filter((c) => !failed.includes(c) && !done.includes(c)))
        push(
          this.event(
            stack,
            other,
            `${create ? 'CREATE' : 'UPDATE'}_FAILED`,
            'Resource creation cancelled',
            token,
          ),
        );
      const summary = `The following resource(s) failed to ${create ? 'create' : 'update'}: [${failed.map((f) => f.logicalId).join(', ')}]. `;
      stack.status = create ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS';
      stack.statusReason = summary;
      push(this.event(stack, 'stack', stack.status, summary, token));
    });
    steps.push(() => {
      if (failed.length === 0) return;
      for (const r of done) push(this.event(stack, r, 'DELETE_COMPLETE', undefined, token));
      stack.status = create ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      push(this.event(stack, 'stack', stack.status, undefined, token));
    });
    stack.steps = steps;
    return {};
  }

  private deleteStack(nameOrId: string | undefined, token: string | undefined) {
    const stack = this.find(nameOrId);
    if (!stack) return {};
    const push = (e: StackEvent) => stack.events.unshift(e);
    stack.status = 'DELETE_IN_PROGRESS';
    push(this.event(stack, 'stack', 'DELETE_IN_PROGRESS', 'User Initiated', token));
    const steps: (() => void)[] = [];
    let failed = false;
    for (const resource of [...stack.resources].reverse()) {
      steps.push(() => {
        push(this.event(stack, resource, 'DELETE_IN_PROGRESS', undefined, token));
        const reason = this.deleteFailures.get(resource.logicalId);
        if (reason) {
          this.deleteFailures.delete(resource.logicalId);
          failed = true;
          push(this.event(stack, resource, 'DELETE_FAILED', reason, token));
          return;
        }
        stack.resources = stack.resources.filter((r) => r !== resource);
        push(this.event(stack, resource, 'DELETE_COMPLETE', undefined, token));
      });
    }
    steps.push(() => {
      stack.status = failed ? 'DELETE_FAILED' : 'DELETE_COMPLETE';
      if (failed) stack.statusReason = 'The following resource(s) failed to delete: [...]. ';
      push(this.event(stack, 'stack', stack.status, stack.statusReason, token));
    });
    stack.steps = steps;
    return {};
  }
}
