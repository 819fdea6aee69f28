import { expect } from 'chai';
import { InvalidEventError } from '../../src/core/errors.js';
import {
  checkRow,
  eventBody,
  eventBodyBytes,
  expiredThrough,
  expiryOf,
  isExpired,
  MAX_COUNTY_LENGTH,
  MAX_MESSAGE_BYTES,
  parseEvent,
} from '../../src/core/event.js';
import { uuidv7 } from '../../src/core/id.js';

const T = Date.UTC(2024, 5, 1, 12, 0, 0, 250);

const event = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  time: T,
  county: 'Tioga',
  data: { County: 'Tioga', 'Waterbody Name': 'Owego Creek' },
  ...overrides,
});

const body = (overrides: Record<string, unknown> = {}) => JSON.stringify(event(overrides));

function invalid(text: string): InvalidEventError {
  try {
    parseEvent(text);
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error(`expected ${text.slice(0, 80)} to be rejected`);
}

describe('core/event', () => {
  describe('parseEvent', () => {
    it('returns the event of a valid body', () => {
      expect(parseEvent(body())).to.deep.equal(event());
    });

    it('trims the county', () => {
      expect(parseEvent(body({ county: '  St. Lawrence \t' })).county).to.equal('St. Lawrence');
    });

    it('drops fields that are not part of an event', () => {
      expect(parseEvent(body({ extra: 'x' }))).to.deep.equal(event());
    });

    const poison: Array<[string, string, string]> = [
      ['not JSON', '{"id": ', 'not JSON'],
      ['a JSON array', JSON.stringify([event()]), 'not a JSON object'],
      ['JSON null', 'null', 'not a JSON object'],
      ['a JSON string', '"hello"', 'not a JSON object'],
      ['a missing id', body({ id: undefined }), 'event id'],
      ['an empty id', body({ id: '' }), 'event id'],
      ['an id of 129 characters', body({ id: 'x'.repeat(129) }), 'event id'],
      ['a numeric id', body({ id: 7 }), 'event id'],
      ['a missing time', body({ time: undefined }), 'event time'],
      ['a non-integer time', body({ time: 1.5 }), 'event time'],
      ['a time given as a string', body({ time: String(T) }), 'event time'],
      ['a zero time', body({ time: 0 }), 'event time'],
      ['a negative time', body({ time: -1 }), 'event time'],
      ['an unsafe integer time', body({ time: 2 ** 53 }), 'event time'],
      ['a missing county', body({ county: undefined }), 'county is missing'],
      ['an empty county', body({ county: '' }), 'county is missing'],
      ['a blank county', body({ county: '   ' }), 'county is missing'],
      ['a county that is not a string', body({ county: 12 }), 'county is missing'],
      ['a county that is too long', body({ county: 'x'.repeat(MAX_COUNTY_LENGTH + 1) }), 'too long'],
      ['a county of NULs', body({ county: '\u0000\u0000' }), 'only control or invisible characters'],
      ['missing data', body({ data: undefined }), 'data'],
      ['data that is a string', body({ data: 'County=Tioga' }), 'data'],
      ['data that is an array', body({ data: ['Tioga'] }), 'data'],
      ['data that is null', body({ data: null }), 'data'],
    ];
    for (const [what, text, message] of poison) {
      it(`rejects ${what}`, () => {
        expect(invalid(text).message).to.include(message);
      });
    }

    it('accepts the longest id and county', () => {
      const parsed = parseEvent(body({ id: 'x'.repeat(128), county: 'c'.repeat(MAX_COUNTY_LENGTH) }));
      expect(parsed.id).to.have.length(128);
      expect(parsed.county).to.have.length(MAX_COUNTY_LENGTH);
    });

    it('rejects a body over 1 MiB, even if it is a valid event', () => {
      const padding = 'x'.repeat(MAX_MESSAGE_BYTES);
      expect(invalid(body({ data: { pad: padding } })).message).to.include('larger than 1048576 bytes');
    });

    it('measures the size in UTF-8 bytes, not characters', () => {
      // GIVEN a body of ~600k characters that is ~1.2 MB in UTF-8
      const text = body({ data: { pad: 'é'.repeat(600_000) } });
      expect(text.length).to.be.below(MAX_MESSAGE_BYTES);
      expect(Buffer.byteLength(text)).to.be.above(MAX_MESSAGE_BYTES);
      // THEN it is too large, as SQS would say
      expect(invalid(text).message).to.include('larger than');
    });

    it('accepts a body of exactly 1 MiB', () => {
      const empty = body({ data: { pad: '' } });
      const text = body({ data: { pad: 'x'.repeat(MAX_MESSAGE_BYTES - Buffer.byteLength(empty)) } });
      expect(Buffer.byteLength(text)).to.equal(MAX_MESSAGE_BYTES);
      expect(parseEvent(text).county).to.equal('Tioga');
    });
  });

  describe('checkRow: the one rule stream applies before sending and storing applies (parseEvent)', () => {
    const counties: Array<[string, string, string | undefined]> = [
      ['a county', 'Erie', undefined],
      ['a county with spaces around it', '  St. Lawrence \t', undefined],
      ['a county of 256 characters inside spaces', ` ${'c'.repeat(MAX_COUNTY_LENGTH)} `, undefined],
      ['a county with an escape sequence and text', '\x1b[31mErie', undefined],
      ['an empty county', '', 'empty County'],
      ['a blank county', ' \t ', 'empty County'],
      [
        'a county of 257 characters',
        'c'.repeat(MAX_COUNTY_LENGTH + 1),
        'County of 257 characters, over the 256',
      ],
      ['a NUL', '\u0000', 'only of control or invisible characters'],
      ['NULs and spaces', '\u0000 \u0000\u0000', 'only of control or invisible characters'],
      ['an escape alone', '\x1b', 'only of control or invisible characters'],
      ['C1 controls', '\u0085\u009b', 'only of control or invisible characters'],
      ['a zero-width space and a bidi override', '\u200b\u202e', 'only of control or invisible characters'],
    ];
    for (const [what, county, reason] of counties) {
      it(`${reason === undefined ? 'sends' : 'skips'} ${what}, and storing ${reason === undefined ? 'stores' : 'refuses'} it`, () => {
        const dataJson = JSON.stringify({ County: county });
        const checked = checkRow(county, dataJson);
        const body = eventBody({ id: uuidv7(T), time: T, county, dataJson });
        if (reason === undefined) {
          expect(checked).to.deep.equal({ county: county.trim() });
          expect(parseEvent(body).county).to.equal(county.trim());
        } else {
          expect(checked).to.have.property('reason').that.includes(reason);
          expect(() => parseEvent(body)).to.throw(InvalidEventError);
        }
      });
    }

    it('skips a row whose event would be one byte over the queue limit, and storing refuses that body', () => {
      const time = Date.UTC(2026, 0, 1);
      const bodyOf = (pad: string) => {
        const dataJson = JSON.stringify({ County: 'Erie', pad });
        return { dataJson, body: eventBody({ id: uuidv7(time), time, county: 'Erie', dataJson }) };
      };
      // GIVEN rows whose events are exactly at the limit, and one byte over it (in UTF-8)
      const room = MAX_MESSAGE_BYTES - eventBodyBytes('Erie', bodyOf('').dataJson);
      const fits = bodyOf(`${'é'.repeat(room / 2 - 1)}xx`);
      const over = bodyOf(`${'é'.repeat(room / 2 - 1)}xxx`);
      expect(Buffer.byteLength(fits.body)).to.equal(MAX_MESSAGE_BYTES);
      expect(eventBodyBytes('Erie', fits.dataJson)).to.equal(MAX_MESSAGE_BYTES);
      // THEN stream sends the first and storing takes it; both refuse the second
      expect(checkRow('Erie', fits.dataJson)).to.deep.equal({ county: 'Erie' });
      expect(parseEvent(fits.body).county).to.equal('Erie');
      expect(checkRow('Erie', over.dataJson)).to.have.property('reason').that.includes('1 MiB message limit');
      expect(() => parseEvent(over.body)).to.throw(InvalidEventError);
    });
  });

  describe('eventBody', () => {
    it('is the JSON of the event, data included, whatever its characters', () => {
      const data = { County: 'Tioga', 'Name "quoted"': 'line\nbreak, \\ and é', __proto__x: '' };
      const sent = { id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', time: T, county: 'St. "Lawrence"', data };
      const body = eventBody({ ...sent, dataJson: JSON.stringify(data) });
      expect(body).to.equal(JSON.stringify(sent));
      expect(parseEvent(body)).to.deep.equal({ ...sent, county: 'St. "Lawrence"' });
    });
  });

  describe('expiryOf', () => {
    it('is the first whole Unix second at or after time + TTL', () => {
      expect(expiryOf(1_700_000_000_999, 60)).to.equal(1_700_000_001 + 3600);
      expect(expiryOf(1_700_000_000_001, 60)).to.equal(1_700_000_001 + 3600);
      expect(expiryOf(1_700_000_000_000, 1)).to.equal(1_700_000_060);
    });

    it('never expires an event a window of W <= TTL still holds, at any millisecond', () => {
      // GIVEN events at every millisecond of two seconds, windows of W <= TTL, and "now" anywhere
      // from the event's time to just past when its window lets it go
      for (const [windowMinutes, ttlMinutes] of [
        [1, 1],
        [5, 5],
        [5, 60],
      ] as const) {
        for (let time = T - 1000; time < T + 1000; time += 7) {
          const expiresAt = expiryOf(time, ttlMinutes);
          for (const after of [0, 1, 499, 999, 1000, 1001]) {
            const now = time + windowMinutes * 60_000 - 1000 + after;
            const inWindow = time > now - windowMinutes * 60_000 && time <= now;
            // THEN an event still in the window has not expired, by either side's rule: the
            // local sweep (expiredThrough) and DynamoDB's (expiry at or before now)
            if (inWindow) {
              expect(isExpired(expiresAt, now), `t=${time} now=${now}`).to.equal(false);
              expect(expiresAt <= expiredThrough(now), `t=${time} now=${now}`).to.equal(false);
            }
          }
        }
      }
    });

    it('expires an event from the moment its expiry second starts, the same on both rules', () => {
      const expiresAt = expiryOf(T, 1);
      for (const now of [expiresAt * 1000 - 1, expiresAt * 1000, expiresAt * 1000 + 999]) {
        expect(isExpired(expiresAt, now)).to.equal(now >= expiresAt * 1000);
        expect(expiresAt <= expiredThrough(now)).to.equal(isExpired(expiresAt, now));
      }
    });
  });
});
