import { expect } from 'chai';
import { jsonLines, lines } from '../../testkit/cli.js';
import { expectOneLineError } from '../../testkit/expect.js';
import { countsOf, expectedCounts, total } from '../../testkit/fixtures.js';
import { freshSandboxEachTest, type Sandbox } from '../../testkit/sandbox.js';
import { tableRows } from '../../testkit/table.js';

const SNAPSHOT_KEYS = ['updated', 'windowStart', 'windowEnd', 'windowMinutes', 'total', 'counties'];

interface Snapshot {
  updated: string;
  windowStart: string;
  windowEnd: string;
  windowMinutes: number;
  total: number;
  counties: { county: string; count: number }[];
}

describe('commands/aggregate', function () {
  this.timeout(60_000);
  let box: Sandbox;
  let file: string;
  freshSandboxEachTest((b) => {
    box = b;
    file = box.fixture('f.csv', { counts: { Albany: 5, Kings: 3, 'St. Lawrence': 3, Erie: 1 } });
  });

  async function deployAndStream(deployArgs: string[] = []) {
    expect((await box.cli('deploy', deployArgs)).code).to.equal(0);
    const streamed = await box.cli('stream', ['--once', '--interval-ms', '0', '--file', file, '--json']);
    expect(streamed.code, streamed.stderr).to.equal(0);
  }

  it('--json prints exactly one snapshot: the window and the counts per county, largest first', async () => {
    await deployAndStream();
    const before = Date.now();
    const result = await box.cli('aggregate', ['--json']);
    expect(result.code, result.stderr).to.equal(0);
    const docs = jsonLines(result.stdout);
    expect(docs).to.have.length(1);
    const snapshot = docs[0] as Snapshot;
    expect(Object.keys(snapshot)).to.have.members(SNAPSHOT_KEYS).and.have.length(SNAPSHOT_KEYS.length);
    expect(snapshot.counties).to.deep.equal([
      { county: 'Albany', count: 5 },
      { county: 'Kings', count: 3 },
      { county: 'St. Lawrence', count: 3 },
      { county: 'Erie', count: 1 },
    ]);
    expect(snapshot.total).to.equal(12);
    expect(countsOf(snapshot)).to.deep.equal(expectedCounts(file));
    expect(snapshot.windowMinutes).to.equal(5);
    expect(Date.parse(snapshot.windowEnd) - Date.parse(snapshot.windowStart)).to.equal(5 * 60_000);
    expect(snapshot.updated).to.equal(snapshot.windowEnd);
    expect(Date.parse(snapshot.updated)).to.be.within(before - 1000, Date.now() + 1000);
  });

  it('uses the deployed window length', async () => {
    await deployAndStream(['--window-minutes', '10']);
    const snapshot = JSON.parse((await box.cli('aggregate', ['--json'])).stdout) as Snapshot;
    expect(snapshot.windowMinutes).to.equal(10);
    expect(Date.parse(snapshot.windowEnd) - Date.parse(snapshot.windowStart)).to.equal(10 * 60_000);
    expect(snapshot.total).to.equal(total(expectedCounts(file)));
  });

  it('prints the snapshot as a table with shares and the total', async () => {
    await deployAndStream();
    const result = await box.cli('aggregate');
    expect(result.code).to.equal(0);
    const rows = tableRows(result.stdout).map((cells) => cells.slice(0, 3));
    expect(rows).to.deep.equal([
      ['County', 'Count', 'Share'],
      ['Albany', '5', '41.7%'],
      ['Kings', '3', '25.0%'],
      ['St. Lawrence', '3', '25.0%'],
      ['Erie', '1', '8.3%'],
      ['Total', '12', '100.0%'],
    ]);
    expect(result.stdout).to.match(/Window: .* \(5 min\), 4 counties\./);
  });

  it('on an empty stack: a zero total, exit 0', async () => {
    await box.cli('deploy');
    const snapshot = JSON.parse((await box.cli('aggregate', ['--json'])).stdout) as Snapshot;
    expect(snapshot.total).to.equal(0);
    expect(snapshot.counties).to.deep.equal([]);
  });

  it('--watch 1 --json prints one snapshot per line until Ctrl-C, then exits 0', async () => {
    await deployAndStream();
    const running = box.startCli('aggregate', ['--watch', '1', '--json']);
    await running.waitFor(/\n/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal('');
    const docs = jsonLines(result.stdout) as Snapshot[];
    expect(docs.length).to.be.at.least(2);
    expect(lines(result.stdout)).to.have.length(docs.length);
    for (const doc of docs) {
      expect(Object.keys(doc)).to.have.members([...SNAPSHOT_KEYS, 'health']);
      expect(doc.total).to.equal(12);
    }
    // A new aggregation each time.
    expect(new Set(docs.map((d) => d.updated)).size).to.equal(docs.length);
  });

  it('--watch without --json on a non-terminal: one JSON object per refresh, as with --json, no table', async () => {
    await deployAndStream();
    const running = box.startCli('aggregate', ['--watch', '1']);
    await running.waitFor(/"health"[\s\S]*\n[\s\S]*"health"/);
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).to.equal(0);
    expect(result.stdout).not.to.include('│');
    const docs = jsonLines(result.stdout) as (Snapshot & { health: { queue: unknown } })[];
    expect(docs.length).to.be.at.least(2);
    for (const doc of docs) {
      expect(Object.keys(doc)).to.have.members([...SNAPSHOT_KEYS, 'health']);
      expect(doc.health.queue).to.deep.equal({ visible: 0, inFlight: 0, deadLetters: 0 });
    }
  });

  describe('errors', () => {
    it('on a stack that is not deployed: exit 3 and how to deploy', async () => {
      const result = await box.cli('aggregate');
      expectOneLineError(result, 3, 'sensorpipe deploy --target local');
      expect(box.databaseExists()).to.equal(false);
    });

    it('on --target aws with no AWS region set: exit 4, one line that points at --target local', async () => {
      const result = await box.cli('aggregate', [], { target: 'aws' });
      expectOneLineError(result, 4, '--target local');
    });

    for (const value of ['0', 'x', '1.5']) {
      it(`on --watch ${value}: exit 2, one line that names the flag`, async () => {
        await box.cli('deploy');
        const result = await box.cli('aggregate', ['--watch', value]);
        expectOneLineError(result, 2, '--watch');
      });
    }
  });
});
