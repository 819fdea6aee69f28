import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError } from '../../core/errors.js';
import {
  byTime,
  FOLLOW_POLICY,
  type FollowPolicy,
  type FunctionName,
  followDelay,
  followPolls,
  type LogLine,
  type LogQuery,
  matchesQuery,
} from '../../core/logs.js';
import type { LogReadOptions } from '../target.js';
import { describeFailure, isThrottling } from './errors.js';

/** A function's log group: the one `logs` reads for it. */
export interface FunctionLogGroup {
  function: FunctionName;
  logGroupName: string;
}

/**
 * The log group a Lambda function writes to: Lambda's default, /aws/lambda/<function name>, since
 * templates/pipeline.yaml gives its functions no LoggingConfig (which could name another) and
 * creates each group under exactly that name, with its retention (a template test holds both).
 */
export function logGroupOf(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/**
 * How far back each poll of a follow looks again from the newest line it has seen: a line reaches
 * FilterLogEvents some seconds after the time it carries (Lambda sends its logs in batches), so a
 * poll from exactly the newest time would miss the lines still on their way. Lines read twice are
 * shown once (by their event id).
 */
export const FOLLOW_OVERLAP_MS = 20_000;

/** Throttled answers in a row a history rides out (waits of 1, 2, 4, 8, 16 s) before it gives up. */
const HISTORY_THROTTLED_TRIES = 6;

export interface CloudWatchLogsOptions {
  client: Pick<CloudWatchLogsClient, 'send'>;
  groups: readonly FunctionLogGroup[];
  /** The waits of a follow and of a throttled request. */
  clock: Clock;
  policy?: FollowPolicy;
}

/**
 * The functions' lines from CloudWatch Logs: FilterLogEvents on each log group, every page of it
 * (nextToken; a page may be short or empty and still not the last), the groups merged by time. A
 * follow then polls each group about once a second (FilterLogEvents' per-account quota is low),
 * backing off while it is throttled.
 */
export class CloudWatchFunctionLogs {
  private readonly policy: FollowPolicy;

  constructor(private readonly options: CloudWatchLogsOptions) {
    this.policy = options.policy ?? FOLLOW_POLICY;
  }

  async *read(query: LogQuery, options: LogReadOptions = {}): AsyncGenerator<LogLine[]> {
    const groups = this.options.groups.filter((g) => query.functions.includes(g.function));
    const cursors = groups.map((group) => ({ group, newest: query.since, seen: new Map<string, number>() }));
    const note = (cursor: (typeof cursors)[number], lines: readonly LogLine[]) => {
      for (const line of lines) {
        cursor.seen.set(line.id, line.time);
        cursor.newest = Math.max(cursor.newest, line.time);
      }
    };
    // The history: each group's pages, merged by time as they come, so that a long one streams.
    const pages = cursors.map((cursor) => ({
      cursor,
      buffer: [] as LogLine[],
      nextToken: undefined as string | undefined,
      done: false,
    }));
    for (;;) {
      for (const page of pages) {
        while (!page.done && page.buffer.length === 0) {
          const result = await this.filter(page.cursor.group, query, query.since, page.nextToken, options);
          if (result === undefined) return; // Ctrl-C
          page.buffer.push(...result.lines);
          note(page.cursor, result.lines);
          page.nextToken = result.nextToken;
          page.done = result.nextToken === undefined;
        }
      }
      if (pages.every((p) => p.done && p.buffer.length === 0)) break;
      // Lines up to the oldest of the unfinished groups' newest are final: no page to come is older.
      const bound = Math.min(
        ...pages.filter((p) => !p.done).map((p) => p.buffer.at(-1)?.time ?? Number.POSITIVE_INFINITY),
      );
      const ready: LogLine[] = [];
      for (const page of pages) {
        const cut = page.buffer.findIndex((line) => line.time > bound);
        ready.push(...page.buffer.splice(0, cut === -1 ? page.buffer.length : cut));
      }
      if (ready.length > 0) yield ready.sort(byTime);
    }
    if (!options.follow) return;
    yield* followPolls(
      async () => {
        let throttled = false;
        const fresh: LogLine[] = [];
        for (const cursor of cursors) {
          const from = Math.max(query.since, cursor.newest - FOLLOW_OVERLAP_MS);
          for (let token: string | undefined, first = true; first || token !== undefined; first = false) {
            const result = await this.filter(cursor.group, query, from, token, options, 'follow').catch(
              (error: unknown) => {
                if (!isThrottling(error)) throw error;
                throttled = true;
                return undefined;
              },
            );
            if (result === undefined) break;
            const lines = result.lines.filter((line) => !cursor.seen.has(line.id));
            note(cursor, lines);
            fresh.push(...lines);
            token = result.nextToken;
          }
          // What is older than the overlap is never asked for again.
          for (const [id, time] of cursor.seen)
            if (time < cursor.newest - FOLLOW_OVERLAP_MS) cursor.seen.delete(id);
        }
        return { lines: fresh.sort(byTime), throttled };
      },
      { clock: this.options.clock, signal: options.signal, policy: this.policy },
    );
  }

  /**
   * One page of a group's lines from `startTime`, or undefined once the signal aborted. In a history,
   * a throttled request is tried again after a growing wait, a few times; a follow's poll hands
   * throttling to its caller, which waits longer before the next poll.
   */
  private async filter(
    group: FunctionLogGroup,
    query: LogQuery,
    startTime: number,
    nextToken: string | undefined,
    options: LogReadOptions,
    mode: 'history' | 'follow' = 'history',
  ): Promise<{ lines: LogLine[]; nextToken: string | undefined } | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) return undefined;
      try {
        const output = await this.options.client.send(
          new FilterLogEventsCommand({
            logGroupName: group.logGroupName,
            startTime,
            nextToken,
            filterPattern: query.filter === undefined ? undefined : quotedPhrase(query.filter),
          }),
          { abortSignal: options.signal },
        );
        const lines = (output.events ?? [])
          .map((event) => lineOf(group.function, event))
          .filter((line) => matchesQuery(line, query));
        return { lines, nextToken: output.nextToken || undefined };
      } catch (error) {
        if (options.signal?.aborted) return undefined;
        if (!isThrottling(error) || mode === 'follow') throw error;
        if (attempt >= HISTORY_THROTTLED_TRIES) {
          throw new EnvironmentError(
            `CloudWatch Logs throttled the reading of ${group.logGroupName} (${describeFailure(error)}) ${attempt} times: FilterLogEvents has a low per-account quota, which other readers of this account and region share. Try again in a minute.`,
            'AWS_THROTTLED',
            { cause: error },
          );
        }
        await this.options.clock.sleep(followDelay(attempt - 1, this.policy), options.signal);
      }
    }
  }
}

/**
 * --filter as a CloudWatch Logs filter pattern: one quoted phrase, the text exactly (a bare term or
 * several words would be CloudWatch's own syntax: any of them, all of them, JSON selectors). Every
 * line that comes back is checked to contain the text as well, so the rule is the same as locally.
 */
export function quotedPhrase(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A CloudWatch event as a line: Lambda's Node.js runtime writes what a function logs as
 * `<ISO time>\t<request id>\t<LEVEL>\t<message>`, which comes back as the level and the message; its
 * own lines (START, END, REPORT, INIT_START) have no level.
 */
export function lineOf(fn: FunctionName, event: FilteredLogEvent): LogLine {
  const raw = (event.message ?? '').replace(/\r?\n$/, '');
  const logged = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z\t[^\t]*\t([A-Z]+)\t([\s\S]*)$/.exec(raw);
  const message = (logged ? (logged[2] ?? '') : raw).replace(/[ \t]*\t/g, ' ').trimEnd();
  return {
    function: fn,
    time: event.timestamp ?? 0,
    level: logged ? (logged[1] ?? null) : null,
    message,
    id: event.eventId ?? `${event.logStreamName ?? ''}:${event.timestamp ?? 0}:${raw}`,
  };
}
