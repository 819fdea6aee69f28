/**
 * Hostile strings in data, paths and messages, through every command that prints them, on the
 * built CLI: what a user sees holds no raw control byte (no screen cleared, no title set, no link
 * planted, no line rewound), every string shows escaped, and no row passes for the Total. --json
 * keeps the data exact.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ensureBuilt } from '../../testkit/build.js';
import { jsonLines, type RunResult } from '../../testkit/cli.js';
import { addDeadLetters, goodBody } from '../../testkit/dead-letters.js';
import { HOSTILE_STRINGS, RAW_CONTROL } from '../../testkit/hostile.js';
import { Sandbox } from '../../testkit/sandbox.js';
import { tableRows } from '../../testkit/table.js';

/**
 * What a CSV or a stack can carry: UTF-8 text, so no lone surrogate (one reaches us only through
 * JSON from AWS; SQLite stores it as U+FFFD; the renderers' unit tests hold it).
 */
const IN_CSV = HOSTILE_STRINGS.filter((h) => !h.name.includes('surrogate'));

const quote = (field: string) => `"${field.replace(/"/g, '""')}"`;

/** A CSV with each hostile county (i + 1 rows each) and a county that is literally "Total". */
function hostileCsv(): string {
  const rows = IN_CSV.flatMap((h, i) =>
    Array.from({ length: i + 1 }, (_, k) => `Creek ${i}-${k},${quote(h.value)}`),
  );
  return `Name,County\n${[...rows, 'Creek T,Total'].join('\n')}\n`;
}

const EXPECTED_TOTAL = (IN_CSV.length * (IN_CSV.length + 1)) / 2 + 1;

function expectNothingRaw(result: RunResult): void {
  expect(result.stdout, 'stdout').not.to.match(RAW_CONTROL);
  expect(result.stderr, 'stderr').not.to.match(RAW_CONTROL);
}

/** The rows after the table's last rule: the Total, and only it. */
function footerRows(text: string): string[][] {
  const lines = text.split('\n');
  const lastTable = lines.findLastIndex((l) => l.startsWith('└'));
  const lastRule = lines.slice(0, lastTable).findLastIndex((l) => l.startsWith('├'));
  return tableRows(lines.slice(lastRule, lastTable + 1).join('\n'));
}

function expectSnapshotTable(result: RunResult): void {
  expect(result.code, result.stderr).to.equal(0);
  expectNothingRaw(result);
  const counties = tableRows(result.stdout).map((r) => r[0]);
  for (const h of IN_CSV) expect(counties, h.name).to.include(h.shown);
  // The county named Total is a row of the body; the Total row is the one after the last rule.
  expect(counties.filter((c) => c === 'Total')).to.have.length(2);
  expect(footerRows(result.stdout)).to.deep.equal([['Total', String(EXPECTED_TOTAL), '100.0%', '']]);
}

describe('hostile strings reach no terminal raw (every command that prints data)', function () {
  this.timeout(120_000);
  let box: Sandbox;
  let file: string;

  before(async function () {
    await ensureBuilt.call(this);
    box = new Sandbox();
    file = box.write('hostile.csv', hostileCsv());
    await box.cli('deploy');
    const streamed = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file]);
    expect(streamed.code, streamed.stderr).to.equal(0);
    expectNothingRaw(streamed);
  });

  after(() => box.remove());

  it('aggregate: every county escaped, the Total not forged', async () => {
    expectSnapshotTable(await box.cli('aggregate'));
  });

  it('show: the same snapshot, the same way', async () => {
    expectSnapshotTable(await box.cli('show'));
  });

  it('aggregate --json and show --json keep every county exactly', async () => {
    for (const command of ['aggregate', 'show']) {
      const snapshot = JSON.parse((await box.cli(command, ['--json'])).stdout) as {
        total: number;
        counties: { county: string }[];
      };
      expect(snapshot.total).to.equal(EXPECTED_TOTAL);
      expect(snapshot.counties.map((c) => c.county)).to.include.members([
        ...IN_CSV.map((h) => h.value),
        'Total',
      ]);
    }
  });

  it('the dashboard (aggregate --watch) on a pipe: JSON per refresh, with the exact strings as --json has them', async () => {
    const running = box.startCli('aggregate', ['--watch', '1']);
    await running.waitFor(/"health"[\s\S]*\n[\s\S]*"health"/);
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).to.equal(0);
    const refreshes = jsonLines(result.stdout) as { total: number; counties: { county: string }[] }[];
    expect(refreshes.length).to.be.at.least(2);
    for (const refresh of refreshes) {
      expect(refresh.total).to.equal(EXPECTED_TOTAL);
      expect(refresh.counties.map((c) => c.county)).to.include.members(IN_CSV.map((h) => h.value));
    }
  });

  it('verify: the comparison table escaped, the verdict PASS', async () => {
    const result = await box.cli('verify', ['--file', file]);
    expect(result.code, result.stderr).to.equal(0);
    expectNothingRaw(result);
    const counties = tableRows(result.stdout).map((r) => r[0]);
    for (const h of IN_CSV) expect(counties).to.include(h.shown);
    expect(result.stdout).to.match(/^PASS: /m);
  });

  it('dead-letters: bodies and errors escaped (what storing refused is data too)', async () => {
    addDeadLetters(
      box.dataDir,
      IN_CSV.map((h) => ({ body: `${h.value} ${goodBody(h.value)}`, error: `refused: ${h.value}` })),
    );
    const result = await box.cli('dead-letters', ['--limit', '50']);
    expect(result.code, result.stderr).to.equal(0);
    expectNothingRaw(result);
    const errors = tableRows(result.stdout).map((r) => r[3]);
    for (const h of IN_CSV) expect(errors).to.include(`refused: ${h.shown}`);
    const json = JSON.parse((await box.cli('dead-letters', ['--limit', '50', '--json'])).stdout) as {
      error: string;
    }[];
    expect(json.map((d) => d.error)).to.include.members(IN_CSV.map((h) => `refused: ${h.value}`));
  });

  it('stream: skip notes and errors that quote the file and its header are escaped', async () => {
    const withSkips = box.write(
      'skips.csv',
      `Name,County\n${quote('\x1b[2J')},\nB,Erie,extra\n${hostileCsv().split('\n')[1]}\n`,
    );
    const skipped = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', withSkips]);
    expect(skipped.code, skipped.stderr).to.equal(0);
    expectNothingRaw(skipped);
    expect(skipped.stderr).to.match(/Skipped line 2/);

    const header = box.write('header.csv', `Name,${quote('\x1b]0;title\x07Town')}\nA,B\n`);
    const noCounty = await box.cli('stream', ['--once', '--file', header]);
    expect(noCounty.code).to.equal(2);
    expectNothingRaw(noCounty);
    // The names are quoted as JSON strings there, which escapes them already.
    expect(noCounty.stderr).to.include('(columns found: "Name", "\\u001b]0;title\\u0007Town")');

    const missing = path.join(box.dir, '\x1b[2J\u202eevil.csv');
    for (const debug of [[], ['--debug']]) {
      const result = await box.cli('stream', ['--once', '--file', missing, ...debug]);
      expect(result.code).to.equal(2);
      expectNothingRaw(result);
      expect(result.stderr).to.include('\\x1b[2J\\u202eevil.csv does not exist');
    }
    // --json keeps the path exact.
    const json = jsonLines((await box.cli('stream', ['--once', '--file', missing, '--json'])).stdout)[0] as {
      error: { message: string };
    };
    expect(json.error.message).to.include(missing);
  });

  it('deploy, status, show and destroy: a data directory whose name holds escape sequences', async () => {
    const dataDir = path.join(box.dir, '\x1b]0;owned\x07data\u202e');
    fs.mkdirSync(dataDir);
    for (const [command, args] of [
      ['deploy', []],
      ['status', []],
      // No aggregation yet: the command it suggests repeats --data-dir.
      ['show', []],
      ['destroy', ['--yes']],
      ['status', []],
    ] as const) {
      const result = await box.cli(command, args, { dataDir });
      expect(result.code, `${command}: ${result.stderr}`).to.equal(0);
      expectNothingRaw(result);
      expect(result.stdout, command).to.include('\\x1b]0;owned\\x07data\\u202e');
    }
  });
});
