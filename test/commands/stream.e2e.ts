import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { startFakeAwsEndpoint } from '../../testkit/aws/fake-aws-endpoint.js';
import { type AwsStandInOptions, startAwsStandIn } from '../../testkit/aws/stand-in.js';
import { jsonLines, lines, type RunResult, STACK_LINE, sleep } from '../../testkit/cli.js';
import { mkfifo, untilOpenedBy, writeToFifo } from '../../testkit/fifo.js';
import { countsOf, expectedCounts, total } from '../../testkit/fixtures.js';
import { SHARED_DATASET } from '../../testkit/paths.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';

const SUMMARY_KEYS = [
  'sent',
  'skipped',
  'failed',
  'elapsedMs',
  'ratePerSecond',
  'askedRatePerSecond',
  'rateHeld',
  'limitedBy',
  'maxBehindMs',
  'maxInFlight',
  'roundTripMs',
];
const SNAPSHOT_KEYS = ['updated', 'windowStart', 'windowEnd', 'windowMinutes', 'total', 'counties'];

interface Summary {
  sent: number;
  skipped: number;
  failed: number;
  elapsedMs: number;
  ratePerSecond: number;
  askedRatePerSecond: number | null;
  rateHeld: boolean | null;
  limitedBy: string | null;
  maxBehindMs: number | null;
  maxInFlight: number;
  roundTripMs: number | null;
}

interface Status {
  deployed: boolean;
  eventsStored: number | null;
  queue: { visible: number; inFlight: number; deadLetters: number } | null;
  lastAggregation: string | null;
}

/** The one JSON document a --json run prints, checking that stdout holds exactly that. */
function onlyJson<T>(result: RunResult): T {
  expect(result.code, result.stderr).to.equal(0);
  const docs = jsonLines(result.stdout);
  expect(docs, result.stdout).to.have.length(1);
  return docs[0] as T;
}

function expectOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).to.equal(code);
  expect(lines(result.stderr), result.stderr).to.have.length(1);
  expect(result.stderr).to.match(pattern);
  expect(result.stderr).not.to.match(STACK_LINE);
}

describe('commands/stream', function () {
  this.timeout(60_000);
  let box: Sandbox;
  freshSandboxEachTest((b) => {
    box = b;
  });

  const status = async (stack?: string) => onlyJson<Status>(await box.cli('status', ['--json'], { stack }));

  describe('end to end: deploy, stream, aggregate, destroy', () => {
    it('stores every row of a fixture once and aggregates exactly its per-county counts', async () => {
      const file = box.fixture('fixture.csv', { emptyCounty: 2 });
      const expected = expectedCounts(file);
      expect((await box.cli('deploy')).code).to.equal(0);

      const summary = onlyJson<Summary>(
        await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file, '--json']),
      );
      expect(Object.keys(summary)).to.have.members(SUMMARY_KEYS).and.have.length(SUMMARY_KEYS.length);
      expect(summary).to.include({ sent: total(expected), skipped: 2, failed: 0 });
      expect(summary.elapsedMs).to.be.a('number').and.be.at.least(0);
      expect(summary.ratePerSecond).to.be.a('number').and.be.greaterThan(0);

      const snapshot = onlyJson<{ total: number; counties: { county: string; count: number }[] }>(
        await box.cli('aggregate', ['--json']),
      );
      expect(Object.keys(snapshot)).to.have.members(SNAPSHOT_KEYS);
      expect(countsOf(snapshot)).to.deep.equal(expected);
      expect(snapshot.total).to.equal(total(expected));

      const destroyed = await box.cli('destroy', ['--yes']);
      expect(destroyed.code).to.equal(0);
      expect(box.databaseExists()).to.equal(false);
    });

    it('streams the shared dataset: one event per data row, 55 counties, exact counts', async function () {
      if (!fs.existsSync(SHARED_DATASET)) this.skip();
      const records = parse(fs.readFileSync(SHARED_DATASET), { columns: true, bom: true }) as Record<
        string,
        string
      >[];
      const expected = new Map<string, number>();
      for (const r of records) expected.set(r.County!.trim(), (expected.get(r.County!.trim()) ?? 0) + 1);
      expect(expected.has('')).to.equal(false);

      await box.cli('deploy');
      const summary = onlyJson<Summary>(
        await box.cli('stream', ['--once', '--interval-ms', '0', '--file', SHARED_DATASET, '--json']),
      );
      expect(summary).to.include({ sent: records.length, skipped: 0, failed: 0 });
      const snapshot = onlyJson<{ total: number; counties: { county: string; count: number }[] }>(
        await box.cli('aggregate', ['--json']),
      );
      expect(snapshot.total).to.equal(records.length);
      expect(snapshot.counties).to.have.length(55);
      expect(expected.size).to.equal(55);
      expect(countsOf(snapshot)).to.deep.equal(expected);
      expect((await status()).eventsStored).to.equal(records.length);
      expect((await box.cli('destroy', ['--yes'])).code).to.equal(0);
    });
  });

  it('prints a human summary: what was sent and stored', async () => {
    const file = box.fixture();
    await box.cli('deploy');
    const result = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    expect(result.code, result.stderr).to.equal(0);
    const n = total(expectedCounts(file));
    expect(result.stdout).to.match(new RegExp(`^Done: sent ${n}, skipped 0, failed 0, `, 'm'));
    expect(result.stdout).to.match(
      new RegExp(`^Stored ${n} events; queue in flight 0, dead letters 0\\.`, 'm'),
    );
  });

  it('skips rows with an empty County, reporting their line numbers on stderr, and stores the rest', async () => {
    const file = box.write(
      'gaps.csv',
      'County,Name,Comments\nAlbany,a,"two\nlines"\n,b,None\nKings,c,None\n"  ",d,None\nAlbany,e,None\n',
    );
    await box.cli('deploy');
    const result = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    expect(result.code, result.stderr).to.equal(0);
    expect(lines(result.stderr)).to.deep.equal([
      'Skipped line 4: empty County',
      'Skipped line 6: empty County',
    ]);
    expect(result.stdout).to.match(/Done: sent 3, skipped 2, failed 0/);
    const after = await status();
    expect(after.eventsStored).to.equal(3);
    const snapshot = onlyJson<{ counties: { county: string; count: number }[] }>(
      await box.cli('aggregate', ['--json']),
    );
    expect(countsOf(snapshot)).to.deep.equal(
      new Map([
        ['Albany', 2],
        ['Kings', 1],
      ]),
    );
  });

  it('counts skips in the --json summary without printing anything else', async () => {
    const file = box.fixture('f.csv', { emptyCounty: 3 });
    await box.cli('deploy');
    const result = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file, '--json']);
    expect(onlyJson<Summary>(result)).to.include({ skipped: 3 });
    expect(result.stderr).to.equal('');
  });

  it('sends exactly --limit events, looping over a smaller file', async () => {
    const file = box.fixture('small.csv', { counts: { Albany: 2, Kings: 1 } });
    await box.cli('deploy');
    const summary = onlyJson<Summary>(
      await box.cli('stream', ['--limit', '10', '--interval-ms', '0', '--file', file, '--json']),
    );
    expect(summary.sent).to.equal(10);
    expect((await status()).eventsStored).to.equal(10);
  });

  it('accepts a fractional --interval-ms', async () => {
    const file = box.fixture();
    await box.cli('deploy');
    const summary = onlyJson<Summary>(
      await box.cli('stream', ['--limit', '5', '--interval-ms', '0.1', '--file', file, '--json']),
    );
    expect(summary.sent).to.equal(5);
  });

  describe('Ctrl-C', () => {
    /** About a second into the stream, and only once events are being stored (the stream is surely up). */
    async function whileStreaming(): Promise<void> {
      await sleep(1000);
      for (let i = 0; i < 50 && ((await status()).eventsStored ?? 0) === 0; i++) await sleep(200);
    }

    it('stops a looping stream, exits 0 with the summary, and everything sent is stored', async () => {
      const file = box.fixture();
      await box.cli('deploy');
      const running = box.startCli('stream', ['--interval-ms', '5', '--file', file, '--json']);
      await whileStreaming();
      running.child.kill('SIGINT');
      const result = await running.done;
      const summary = onlyJson<Summary>(result);
      expect(Object.keys(summary)).to.have.members(SUMMARY_KEYS);
      expect(summary.sent).to.be.greaterThan(0);
      const after = await status();
      expect(after.eventsStored).to.equal(summary.sent);
      expect(after.queue).to.include({ visible: 0, inFlight: 0, deadLetters: 0 });
    });

    it('prints Stopped and the stored count without --json', async () => {
      const file = box.fixture();
      await box.cli('deploy');
      const running = box.startCli('stream', ['--interval-ms', '5', '--file', file]);
      await whileStreaming();
      running.child.kill('SIGINT');
      const result = await running.done;
      expect(result.code, result.stderr).to.equal(0);
      const match = /^Stopped: sent ([\d,]+), /m.exec(result.stdout);
      expect(match, result.stdout).to.not.equal(null);
      const sent = Number(match![1]!.replace(/,/g, ''));
      expect(sent).to.be.greaterThan(0);
      expect(result.stdout).to.include(`Stored ${sent.toLocaleString('en-US')} events`);
      expect(result.stderr).to.include('Stopping: finishing in-flight work');
      expect((await status()).eventsStored).to.equal(sent);
    });

    it('quits at once with exit 130 on a second Ctrl-C while the first waits for the sends in flight (a slow SQS)', async () => {
      // A stand-in for SQS that answers after 15 s: the first Ctrl-C waits for the sends in flight,
      // and says so; the second, pressed once the person has read that, quits at once.
      const endpoint = await startAwsStandIn({
        keepBodies: false,
        delayMs: 15_000,
        answer: () => ({ kind: 'accept' }),
      });
      try {
        const running = box.startCli(
          'stream',
          [
            '--interval-ms',
            '10',
            '--file',
            box.fixture(),
            '--queue-url',
            `${endpoint.url}/123456789012/q`,
            '--endpoint-url',
            endpoint.url,
          ],
          {
            target: 'aws',
            env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
            timeoutMs: 30_000,
          },
        );
        for (let i = 0; i < 100 && endpoint.requests.length === 0; i++) await sleep(50);
        expect(endpoint.requests.length, 'a send reached the endpoint').to.be.greaterThan(0);
        running.child.kill('SIGINT');
        await running.waitFor(/Ctrl-C again to quit now/, 'stderr');
        const second = performance.now();
        running.child.kill('SIGINT');
        const result = await running.done;
        expect(result.code, result.stderr).to.equal(130);
        expect(performance.now() - second).to.be.below(5_000);
        expect(result.stdout).not.to.include('Stopped:');
        expect(result.stderr).not.to.match(STACK_LINE);
      } finally {
        await endpoint.close();
      }
    });
  });

  it('runs two streams on one stack at once without locking errors, storing both in full', async () => {
    const file = box.fixture('f.csv', { counts: { Albany: 400, Kings: 250, Erie: 150, Bronx: 1 } });
    const expected = expectedCounts(file);
    await box.cli('deploy');
    const args = ['--once', '--interval-ms', '0', '--file', file, '--json'];
    const [a, b] = await Promise.all([box.cli('stream', args), box.cli('stream', args)]);
    for (const result of [a, b]) {
      expect(result.stderr).not.to.match(/database is locked|SQLITE_BUSY/i);
      expect(result.stdout).not.to.match(/database is locked|SQLITE_BUSY/i);
      expect(onlyJson<Summary>(result)).to.include({ sent: total(expected), failed: 0 });
    }
    const after = await status();
    expect(after.eventsStored).to.equal(2 * total(expected));
    expect(after.queue).to.include({ visible: 0, inFlight: 0 });
    const snapshot = onlyJson<{ counties: { county: string; count: number }[] }>(
      await box.cli('aggregate', ['--json']),
    );
    expect(countsOf(snapshot)).to.deep.equal(new Map([...expected].map(([c, n]) => [c, 2 * n])));
  });

  describe('errors', () => {
    it('on a stack that is not deployed: exit 3 and how to deploy, nothing created', async () => {
      const result = await box.cli('stream', ['--once', '--file', box.fixture()]);
      expectOneLineError(result, 3, /sensorpipe deploy --target local/);
      expect(box.databaseExists()).to.equal(false);
    });

    it('on a missing file: exit 2, one line naming the file', async () => {
      await box.cli('deploy');
      const result = await box.cli('stream', ['--once', '--file', 'missing.csv']);
      expectOneLineError(result, 2, /missing\.csv does not exist/);
    });

    it('on a CSV without a County column: exit 2, and nothing sent', async () => {
      await box.cli('deploy');
      const file = box.write('nocounty.csv', 'Waterbody_Name,Town\nCayuta Creek,Van Etten\n');
      const result = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
      expectOneLineError(result, 2, /no County column/);
      const after = await status();
      expect(after.eventsStored).to.equal(0);
      expect(after.queue).to.include({ visible: 0, inFlight: 0 });
    });

    it('on a header-only file: exit 2, nothing to send', async () => {
      await box.cli('deploy');
      const file = box.write('header.csv', 'Waterbody_Name,County\n');
      expectOneLineError(await box.cli('stream', ['--once', '--file', file]), 2, /no data rows/);
    });

    for (const args of [
      ['--interval-ms', '-1'],
      ['--interval-ms', 'abc'],
      ['--interval-ms='],
      ['--limit', '0'],
      ['--limit', '2.5'],
    ]) {
      it(`on ${args.join(' ')}: exit 2, one line that names the flag`, async () => {
        await box.cli('deploy');
        const result = await box.cli('stream', ['--once', '--file', box.fixture(), ...args]);
        expectOneLineError(result, 2, new RegExp(args[0]!.replace('=', '')));
        expect(result.stderr).to.include('See: sensorpipe stream --help');
        expect((await status()).eventsStored).to.equal(0);
      });
    }

    it('shows the stack trace of a bad flag value with --debug', async () => {
      const result = await box.cli('stream', ['--interval-ms', '-1', '--debug']);
      expect(result.code).to.equal(2);
      expect(lines(result.stderr)[0]).to.match(/^Error: Parsing --interval-ms: /);
      expect(result.stderr).to.match(STACK_LINE);
    });

    it('shows the stack trace of a missing file with --debug', async () => {
      await box.cli('deploy');
      const result = await box.cli('stream', ['--once', '--file', 'missing.csv', '--debug']);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(STACK_LINE);
    });

    it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
      const result = await box.cli('stream', ['--once', '--file', box.fixture()], { target: 'aws' });
      expectOneLineError(result, 4, /--target local/);
    });

    it('on AWS, events SQS keeps refusing: counted as failed, reported, exit 1', async function () {
      this.timeout(60_000);
      const endpoint = await startFakeAwsEndpoint('sqs-refusing');
      try {
        const file = box.write('three.csv', 'Name,County\nA,Erie\nB,Kings\nC,Tioga\n');
        const result = await box.cli(
          'stream',
          [
            '--once',
            '--interval-ms',
            '0',
            '--file',
            file,
            '--queue-url',
            `${endpoint.url}/123456789012/q`,
            '--endpoint-url',
            endpoint.url,
          ],
          {
            target: 'aws',
            env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
          },
        );
        expect(result.code, result.stderr).to.equal(1);
        expect(result.stdout).to.match(/^Done: sent 0, skipped 0, failed 3, /m);
        expect(result.stderr).to.include('Send failed: 3 of 3 events not sent: InternalError: try later');
      } finally {
        await endpoint.close();
      }
    });

    describe('on AWS, a rate that cannot be held is said, while it runs and at the end', () => {
      /** `stream` to a stand-in for SQS, `--interval-ms 0.1` (10,000 events/s asked). */
      async function streamTo(standIn: AwsStandInOptions, limit: number, json: boolean) {
        const endpoint = await startAwsStandIn({ keepBodies: false, ...standIn });
        try {
          const args = ['--interval-ms', '0.1', '--limit', String(limit), '--file', box.fixture()];
          const where = ['--queue-url', `${endpoint.url}/123456789012/q`, '--endpoint-url', endpoint.url];
          const result = await box.cli('stream', [...args, ...where, ...(json ? ['--json'] : [])], {
            target: 'aws',
            env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
          });
          return { result, maxOpen: endpoint.maxOpen };
        } finally {
          await endpoint.close();
        }
      }

      it('a 1 s round trip: 256 requests in flight, limited by the round trip', async () => {
        // 256 requests of 10 a second is 2,560 events/s at most: 15,000 events take about 6 s, long
        // enough for a progress line (every 5 s off a terminal).
        const { result, maxOpen } = await streamTo(
          { answer: () => ({ kind: 'accept' }), delayMs: 1_000 },
          15_000,
          false,
        );
        expect(result.code, result.stderr).to.equal(0);
        expect(maxOpen).to.equal(256);
        // The round trip holds it back; on a machine so loaded that the thread is busy nine tenths
        // of the time, the CPU does, and the stream says that instead.
        const cause = String.raw`(the round trip \([\d,]+ ms a request, \d+ in flight\)|the CPU.*)`;
        expect(result.stderr).to.match(
          new RegExp(
            String.raw`^streaming: (\d+% of ~?[\d,]+ events, )?sent [\d,]+, .*, asked 10,000/s, holding [\d,]+/s, \d+\.\d s behind: limited by ${cause}$`,
            'm',
          ),
        );
        expect(result.stdout).to.match(/^Done: sent 15,000, skipped 0, failed 0, /m);
        expect(result.stdout).to.match(
          new RegExp(
            String.raw`^Rate not held: asked 10,000/s, achieved [\d,]+/s, up to \d+\.\d s behind: limited by ${cause}\.$`,
            'm',
          ),
        );
      });

      it('throttling: the --json summary says so, and every event still went', async () => {
        // SQS throttles the first request once: the SDK retries it, and its adaptive mode then slows
        // the client's sending rate for seconds (AWS_RETRY_POLICY), well below 10,000 events/s.
        let throttled = false;
        const { result } = await streamTo(
          {
            answer: () => {
              if (throttled) return { kind: 'accept' };
              throttled = true;
              return { kind: 'error', code: 'ThrottlingException' };
            },
            delayMs: 20,
          },
          3_000,
          true,
        );
        const summary = onlyJson<Summary>(result);
        expect(summary).to.include({
          sent: 3_000,
          failed: 0,
          askedRatePerSecond: 10_000,
          rateHeld: false,
          limitedBy: 'throttling',
        });
        expect(summary.maxBehindMs).to.be.above(1_000);
      });
    });

    it('prints the error as one JSON document on stdout with --json', async () => {
      const result = await box.cli('stream', ['--once', '--file', box.fixture(), '--json']);
      expect(result.code).to.equal(3);
      const docs = jsonLines(result.stdout);
      expect(docs).to.have.length(1);
      expect((docs[0] as { error: { code: string; exitCode: number } }).error).to.include({
        code: 'NOT_DEPLOYED',
        exitCode: 3,
      });
    });
  });

  describe('a source that misbehaves: a FIFO, a file that goes away', () => {
    const fixtureRows = (n: number) =>
      `Name,County\n${Array.from({ length: n }, (_, i) => `r${i},Erie`).join('\n')}\n`;

    it('a FIFO with no writer: Ctrl-C stops reading at once, with the summary, exit 0', async () => {
      await box.cli('deploy');
      const fifo = mkfifo(path.join(box.dir, 'nowriter.fifo'));
      const running = box.startCli('stream', ['--once', '--file', fifo], { timeoutMs: 20_000 });
      await untilOpenedBy(running.child.pid as number, fifo);
      running.child.kill('SIGINT');
      const result = await running.done;
      expect(result.code, result.stderr).to.equal(0);
      expect(result.wallMs).to.be.below(15_000);
      expect(result.stdout).to.match(/^Stopped: sent 0, skipped 0, failed 0, /m);
    });

    it('a FIFO with no writer: Ctrl-C twice at once ends it at once (0, or 130 if the second cut the first short), never a hang', async () => {
      await box.cli('deploy');
      const fifo = mkfifo(path.join(box.dir, 'twice.fifo'));
      // The first signal stops a FIFO read within milliseconds, so which of the two ends the stream
      // depends on timing; that the second is honoured whenever the first is still at work is the
      // slow-SQS spec above. Here: either way, at once, and no stack trace.
      const running = box.startCli('stream', ['--file', fifo], { timeoutMs: 20_000 });
      await untilOpenedBy(running.child.pid as number, fifo);
      running.child.kill('SIGINT');
      running.child.kill('SIGTERM');
      const result = await running.done;
      expect([0, 130], result.stderr).to.include(result.code);
      expect(result.wallMs).to.be.below(15_000);
      expect(result.stderr).not.to.match(STACK_LINE);
    });

    for (const json of [false, true]) {
      it(`a FIFO empty on a later pass: the summary of what was sent, then the error, exit 2${json ? ' (--json: two documents)' : ''}`, async () => {
        await box.cli('deploy');
        const fifo = mkfifo(path.join(box.dir, `later${json ? '-json' : ''}.fifo`));
        const running = box.startCli(
          'stream',
          ['--interval-ms', '0', '--file', fifo, ...(json ? ['--json'] : [])],
          {
            timeoutMs: 30_000,
          },
        );
        await untilOpenedBy(running.child.pid as number, fifo);
        await writeToFifo(fifo, fixtureRows(150));
        for (let i = 0; i < 100 && ((await status()).eventsStored ?? 0) < 150; i++) await sleep(100);
        await writeToFifo(fifo, ''); // the next pass: a writer that writes nothing
        const result = await running.done;
        expect(result.code, result.stderr).to.equal(2);
        if (json) {
          const docs = jsonLines(result.stdout) as [Summary, { error: { code: string; message: string } }];
          expect(docs).to.have.length(2);
          expect(docs[0]).to.include({ sent: 150, failed: 0 });
          expect(docs[1].error).to.include({ code: 'INPUT' });
          expect(docs[1].error.message).to.include('is empty');
        } else {
          expect(result.stdout).to.match(/^Stopped by an error: sent 150, skipped 0, failed 0, /m);
          expect(result.stdout).to.include('Stored 150 events');
          expect(lines(result.stderr).at(-1)).to.match(/^Error: .*later\.fifo is empty\./);
          expect(result.stderr).not.to.match(STACK_LINE);
        }
        expect((await status()).eventsStored).to.equal(150);
      });
    }

    it('a file deleted mid-stream: the summary of what was sent, then the error, exit 2', async () => {
      await box.cli('deploy');
      const file = box.write('going.csv', fixtureRows(50));
      const running = box.startCli('stream', ['--interval-ms', '2', '--file', file], { timeoutMs: 30_000 });
      for (let i = 0; i < 100 && ((await status()).eventsStored ?? 0) === 0; i++) await sleep(100);
      fs.rmSync(file);
      const result = await running.done;
      expect(result.code, result.stderr).to.equal(2);
      const match = /^Stopped by an error: sent ([\d,]+), /m.exec(result.stdout);
      expect(match, result.stdout).to.not.equal(null);
      const sent = Number(match![1]!.replace(/,/g, ''));
      expect(sent).to.be.greaterThan(0);
      expect(lines(result.stderr).at(-1)).to.match(/^Error: .*going\.csv does not exist/);
      expect((await status()).eventsStored).to.equal(sent);
    });
  });
});
