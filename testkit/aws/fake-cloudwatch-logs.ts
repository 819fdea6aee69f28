/**
 * A stateful fake of CloudWatch Logs on aws-sdk-client-mock, for what `sensorpipe logs` calls:
 * FilterLogEvents over log groups held in memory. There is no emulator of CloudWatch Logs, so this
 * plays what matters to a reader, as the service documents it:
 * - events come back oldest first, by timestamp, from startTime (inclusive) to endTime (exclusive);
 * - a page holds at most `pageSize` events, and may be short or empty and still have a nextToken
 *   (`emptyPages` plays the empty ones CloudWatch returns while it searches);
 * - a line is searchable only some time after the time it carries (`put`'s delay), which is what a
 *   follow has to look back for;
 * - a missing group is ResourceNotFoundException, throttling is ThrottlingException (`throttle`);
 * - filterPattern: empty, or one quoted phrase (what sensorpipe sends); anything else is refused
 *   here, so that a reader never relies on syntax the fake does not play.
 */
import {
  CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type FilterLogEventsCommandOutput,
  InvalidParameterException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../../src/core/clock.js';
import type { FunctionLogEntry } from '../../src/functions/log.js';

interface StoredEvent extends FilteredLogEvent {
  timestamp: number;
  message: string;
  eventId: string;
  /** When FilterLogEvents starts to return it (fake clock ms). */
  visibleAt: number;
}

const META = { $metadata: { httpStatusCode: 400, requestId: 'req-fake-logs' } };

export class FakeCloudWatchLogs {
  readonly mock = mockClient(CloudWatchLogsClient);
  readonly client = new CloudWatchLogsClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
  });
  /** Events per page at most (CloudWatch: 10,000 or 1 MB). */
  pageSize = 10_000;
  /** Empty pages, each with a nextToken, before the first page of every query. */
  emptyPages = 0;
  /** Every FilterLogEvents request, in order. */
  readonly requests: FilterLogEventsCommandInput[] = [];
  private readonly groups = new Map<string, StoredEvent[]>();
  private throttles = 0;
  private sequence = 0;
  private readonly tokens = new Map<string, { query: string; offset: number; empty: number }>();

  /** `clock`: what "now" is for when a line becomes searchable. */
  constructor(private readonly clock: Pick<Clock, 'now'>) {
    this.mock
      .on(FilterLogEventsCommand)
      .callsFake((input: FilterLogEventsCommandInput) => this.filter(input));
  }

  createLogGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, []);
  }

  deleteLogGroup(name: string): void {
    this.groups.delete(name);
  }

  /** A raw event, searchable `delayMs` after now (CloudWatch's ingestion takes a while). */
  put(group: string, timestamp: number, message: string, delayMs = 0): void {
    const events = this.groups.get(group);
    if (!events) throw new Error(`FakeCloudWatchLogs: no log group ${group}`);
    const event: StoredEvent = {
      timestamp,
      message,
      eventId: String(++this.sequence).padStart(20, '0'),
      logStreamName: '2026/12/01/[$LATEST]fake',
      ingestionTime: this.clock.now() + delayMs,
      visibleAt: this.clock.now() + delayMs,
    };
    // Sorted by timestamp, then by arrival, as FilterLogEvents returns them.
    const at = events.findIndex((e) => e.timestamp > timestamp);
    events.splice(at === -1 ? events.length : at, 0, event);
  }

  /**
   * One invocation as Lambda's Node.js runtime logs it: START, the function's lines (INFO, or ERROR
   * for an Invoke Error) in its text format, END and REPORT, all at `time`.
   */
  invocation(
    group: string,
    time: number,
    lines: readonly (FunctionLogEntry | { error: string })[],
    delayMs = 0,
  ): string {
    const requestId = `0000000${++this.sequence}-aaaa-bbbb-cccc-dddddddddddd`.slice(-36);
    const iso = new Date(time).toISOString();
    this.put(group, time, `START RequestId: ${requestId} Version: $LATEST\n`, delayMs);
    for (const line of lines) {
      const text =
        'error' in line
          ? `${iso}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: 'Error', errorMessage: line.error, stack: ['Error: x', '    at y'] })}\n`
          : `${iso}\t${requestId}\tINFO\t${JSON.stringify(line)}\n`;
      this.put(group, time, text, delayMs);
    }
    this.put(group, time, `END RequestId: ${requestId}\n`, delayMs);
    this.put(
      group,
      time,
      `REPORT RequestId: ${requestId}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB\t\n`,
      delayMs,
    );
    return requestId;
  }

  /** The next `n` FilterLogEvents calls are throttled. */
  throttle(n: number): void {
    this.throttles = n;
  }

  private filter(input: FilterLogEventsCommandInput): FilterLogEventsCommandOutput {
    this.requests.push({ ...input });
    if (this.throttles > 0) {
      this.throttles--;
      throw new ThrottlingException({ ...META, message: 'Rate exceeded' });
    }
    const name = input.logGroupName ?? input.logGroupIdentifier ?? '';
    const events = this.groups.get(name);
    if (!events)
      throw new ResourceNotFoundException({ ...META, message: 'The specified log group does not exist.' });
    const phrase = this.phrase(input.filterPattern);
    // A token belongs to the query it came from, as CloudWatch's do.
    const query = JSON.stringify([name, input.startTime, input.endTime, input.filterPattern]);
    const state = input.nextToken
      ? this.tokens.get(input.nextToken)
      : { query, offset: 0, empty: this.emptyPages };
    if (!state || state.query !== query)
      throw new InvalidParameterException({ ...META, message: 'The specified nextToken is invalid.' });
    const now = this.clock.now();
    const matching = events.filter(
      (e) =>
        e.visibleAt <= now &&
        (input.startTime === undefined || e.timestamp >= input.startTime) &&
        (input.endTime === undefined || e.timestamp < input.endTime) &&
        (phrase === undefined || e.message.includes(phrase)),
    );
    if (state.empty > 0) return this.page([], { ...state, empty: state.empty - 1 });
    const page = matching.slice(state.offset, state.offset + this.pageSize);
    const offset = state.offset + page.length;
    return this.page(page, offset < matching.length ? { ...state, offset } : undefined);
  }

  private page(events: StoredEvent[], next: { query: string; offset: number; empty: number } | undefined) {
    let nextToken: string | undefined;
    if (next) {
      nextToken = `token-${++this.sequence}`;
      this.tokens.set(nextToken, next);
    }
    return {
      events: events.map(({ visibleAt: _, ...event }) => ({ ...event })),
      nextToken,
      $metadata: { httpStatusCode: 200 },
    };
  }

  /** The text of a quoted phrase pattern, undefined for none; other patterns are refused. */
  private phrase(pattern: string | undefined): string | undefined {
    if (pattern === undefined || pattern === '') return undefined;
    const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(pattern);
    if (!quoted)
      throw new InvalidParameterException({
        ...META,
        message: `FakeCloudWatchLogs plays quoted phrases only, not: ${pattern}`,
      });
    return (quoted[1] ?? '').replace(/\\(.)/g, '$1');
  }
}
