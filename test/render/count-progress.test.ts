import { expect } from 'chai';
import { countProgress } from '../../src/render/count-progress.js';

/** A stream that keeps what is written to it. */
function sink(): NodeJS.WriteStream & { written: string } {
  const stream = {
    written: '',
    isTTY: false,
    write(chunk: string) {
      stream.written += chunk;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { written: string };
}

const label = (done: number, total: number | null) => `moved ${done}${total === null ? '' : ` of ${total}`}`;

describe('render/count-progress', () => {
  it('in a pipe: a plain line at most every 5 s, never the final count (the result line says it)', () => {
    const stream = sink();
    let t = 0;
    const progress = countProgress(label, { stream, live: false, now: () => t });
    progress.update(10, 100); // at once: nothing yet
    t = 5_000;
    progress.update(20, 100);
    t = 6_000;
    progress.update(30, 100); // within 5 s of the last
    t = 11_000;
    progress.update(100, 100); // done: the result line follows
    t = 20_000;
    progress.update(120, null); // a task with no total yet
    progress.stop();
    expect(stream.written).to.equal('moved 20 of 100\nmoved 120\n');
  });

  it('a local redrive, done at once, prints nothing: one line in all, the result', () => {
    const stream = sink();
    const progress = countProgress(label, { stream, live: false, now: () => 0 });
    progress.update(3, 3);
    progress.stop();
    expect(stream.written).to.equal('');
  });

  it('on a live terminal: one line redrawn in place, erased at the end', () => {
    const stream = sink();
    const progress = countProgress(label, { stream, live: true });
    progress.update(1, 3);
    progress.update(3, 3);
    progress.stop();
    progress.stop();
    expect(stream.written).to.equal('\r\x1b[2Kmoved 1 of 3\r\x1b[2Kmoved 3 of 3\r\x1b[2K');
  });
});
