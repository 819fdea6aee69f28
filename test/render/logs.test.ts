import { expect } from 'chai';
import type { LogLine } from '../../src/core/logs.js';
import { logLineOf } from '../../src/functions/log.js';
import { renderLogLine } from '../../src/render/logs.js';

const T = Date.UTC(2026, 11, 1, 13, 50, 15, 678);

function line(message: string, fields: Partial<LogLine> = {}): LogLine {
  return { function: 'storing', time: T, level: 'INFO', message, id: '1', ...fields };
}

describe('render/logs', () => {
  it('tells a storing entry in words: time, function, stored of records, and each reason with its ids', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `m-${i + 1}`);
    const text = renderLogLine(
      line(
        logLineOf({
          function: 'storing',
          records: 100,
          stored: 90,
          failed: 10,
          failures: {
            'message body is not JSON': ids,
            'event county is missing or empty': ['m-8', 'm-9', 'm-10'],
          },
        }),
      ),
    );
    expect(text).to.equal(
      '2026-12-01 13:50:15Z  storing      stored 90 of 100; 10 failed: message body is not JSON (7: m-1, m-2, m-3, m-4, m-5 and 2 more); event county is missing or empty (3: m-8, m-9, m-10)',
    );
    expect(
      renderLogLine(line(logLineOf({ function: 'storing', records: 3, stored: 3, failed: 0, failures: {} }))),
    ).to.equal('2026-12-01 13:50:15Z  storing      stored 3 of 3');
  });

  it('lists the ids that contain --filter first: they are why the line is shown', () => {
    const ids = Array.from({ length: 8 }, (_, i) => `m-${i + 1}`);
    const entry = logLineOf({
      function: 'storing',
      records: 8,
      stored: 0,
      failed: 8,
      failures: { bad: ids },
    });
    expect(renderLogLine(line(entry), { filter: 'm-8' })).to.include(
      'bad (8: m-8, m-1, m-2, m-3, m-4 and 3 more)',
    );
  });

  it('tells an aggregation run in words, and shows any other line as it was logged, its level before it', () => {
    const aggregation = logLineOf({
      function: 'aggregation',
      windowEnd: '2026-12-01T13:50:15.678Z',
      total: 1234,
      counties: 55,
    });
    expect(renderLogLine(line(aggregation, { function: 'aggregation' }))).to.equal(
      '2026-12-01 13:50:15Z  aggregation  aggregated 1,234 events in 55 counties, window ending 2026-12-01 13:50:15Z',
    );
    expect(renderLogLine(line('REPORT RequestId: r Duration: 1 ms', { level: null }))).to.equal(
      '2026-12-01 13:50:15Z  storing      REPORT RequestId: r Duration: 1 ms',
    );
    expect(renderLogLine(line('Invoke Error {"errorType":"Error"}', { level: 'ERROR' }))).to.equal(
      '2026-12-01 13:50:15Z  storing      ERROR Invoke Error {"errorType":"Error"}',
    );
    // An INFO line that is not an entry (console.log of something else) stays as it is.
    expect(renderLogLine(line('{"function":"storing","other":1}'))).to.match(
      /storing {6}\{"function":"storing","other":1\}$/,
    );
  });
});
