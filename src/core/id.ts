import { randomFillSync } from 'node:crypto';

const pool = new Uint8Array(16 * 256);
let poolOffset = pool.length;
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
 * Time-ordered ids keep inserts append-mostly in both SQLite and DynamoDB sort keys,
 * and the random part keeps two events of the same millisecond apart.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  const ms = Math.max(0, Math.floor(nowMs));
  const high = Math.floor(ms / 2 ** 16);
  const low = ms % 2 ** 16;
  const out = [
    hex[(high >>> 24) & 0xff],
    hex[(high >>> 16) & 0xff],
    hex[(high >>> 8) & 0xff],
    hex[high & 0xff],
    '-',
    hex[(low >>> 8) & 0xff],
    hex[low & 0xff],
    '-',
    hex[0x70 | ((b[6] ?? 0) & 0x0f)],
    hex[b[7] ?? 0],
    '-',
    hex[0x80 | ((b[8] ?? 0) & 0x3f)],
    hex[b[9] ?? 0],
    '-',
  ];
  for (let i = 10; i < 16; i++) out.push(hex[b[i] ?? 0]);
  return out.join('');
}
