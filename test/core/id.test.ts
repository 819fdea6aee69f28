import { expect } from 'chai';
import { uuidv7 } from '../../src/core/id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The 48-bit Unix millisecond timestamp at the front of a UUIDv7. */
const timestampOf = (id: string): number => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('core/id', () => {
  describe('uuidv7', () => {
    it('has the 8-4-4-4-12 lowercase hex format', () => {
      for (let i = 0; i < 1000; i++) expect(uuidv7()).to.match(UUID);
    });

    it('has version 7 and the RFC 9562 variant (10xx)', () => {
      for (let i = 0; i < 1000; i++) {
        const id = uuidv7();
        expect(id[14], id).to.equal('7');
        expect(['8', '9', 'a', 'b'], id).to.include(id[19]);
      }
    });

    it('encodes the given Unix milliseconds in the first 48 bits', () => {
      const ms = Date.UTC(2024, 4, 17, 12, 34, 56, 789);
      const id = uuidv7(ms);
      expect(timestampOf(id)).to.equal(ms);
      expect(id.startsWith(ms.toString(16).padStart(12, '0').slice(0, 8))).to.equal(true);
    });

    it('encodes the largest 48-bit timestamp and clamps negative time to 0', () => {
      expect(timestampOf(uuidv7(2 ** 48 - 1))).to.equal(2 ** 48 - 1);
      expect(uuidv7(2 ** 48 - 1).slice(0, 13)).to.equal('ffffffff-ffff');
      expect(uuidv7(-5).slice(0, 13)).to.equal('00000000-0000');
      expect(timestampOf(uuidv7(1234.9))).to.equal(1234);
    });

    it('defaults to the current time', () => {
      const before = Date.now();
      const ts = timestampOf(uuidv7());
      expect(ts).to.be.within(before, Date.now());
    });

    it('sorts in time order across milliseconds (as strings)', () => {
      const start = Date.UTC(2025, 0, 1);
      const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(start + i));
      expect([...ids].sort()).to.deep.equal(ids);
      // Also across a carry in the low 16 bits.
      expect(uuidv7(0xffff) < uuidv7(0x10000)).to.equal(true);
    });

    it('gives 100,000 unique ids, even all in the same millisecond', () => {
      const ms = Date.UTC(2025, 0, 1);
      const ids = new Set<string>();
      for (let i = 0; i < 100_000; i++) ids.add(uuidv7(ms));
      expect(ids.size).to.equal(100_000);
    });

    it('uses random bits after the timestamp', () => {
      const ms = Date.UTC(2025, 0, 1);
      const tails = new Set(Array.from({ length: 100 }, () => uuidv7(ms).slice(15)));
      expect(tails.size).to.equal(100);
    });
  });
});
