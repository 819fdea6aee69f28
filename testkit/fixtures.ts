import fs from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface FixtureOptions {
  /** Rows per county, in this order, interleaved. */
  counts?: Record<string, number>;
  /** Data rows with an empty County, put after every third row. */
  emptyCounty?: number;
  /** Header names; must include the County column unless testing its absence. */
  header?: string[];
}

export const DEFAULT_COUNTS: Readonly<Record<string, number>> = {
  Albany: 5,
  Kings: 3,
  'St. Lawrence': 2,
  Erie: 1,
};

/**
 * A small CSV like the real dataset: quoted fields with commas, quotes and a line break, so that a
 * parser that splits on commas or lines would miscount. Rows of the counties are interleaved.
 */
export function fixtureCsv(options: FixtureOptions = {}): string {
  const counts = { ...(options.counts ?? DEFAULT_COUNTS) };
  const header = options.header ?? ['Waterbody_Name', 'County', 'Comments', 'Latitude'];
  const countyIndex = header.indexOf('County');
  const rows: string[][] = [];
  let remaining = Object.values(counts).reduce((a, b) => a + b, 0);
  let empties = options.emptyCounty ?? 0;
  let n = 0;
  while (remaining > 0) {
    for (const county of Object.keys(counts)) {
      if ((counts[county] ?? 0) <= 0) continue;
      counts[county] = (counts[county] ?? 0) - 1;
      remaining--;
      n++;
      rows.push(fixtureRow(header, countyIndex, county, n));
      if (empties > 0 && n % 3 === 0) {
        empties--;
        rows.push(fixtureRow(header, countyIndex, '', n));
      }
    }
  }
  for (; empties > 0; empties--) rows.push(fixtureRow(header, countyIndex, '   ', ++n));
  const quote = (field: string) => (/[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
  return `${[header, ...rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}

function fixtureRow(header: string[], countyIndex: number, county: string, n: number): string[] {
  return header.map((name, i) => {
    if (i === countyIndex) return county;
    if (i === 0) return `Creek ${n}, "north" branch`;
    if (name === 'Comments') return n % 4 === 0 ? 'Two lines:\nsee notes' : 'None';
    return String(42 + n / 1000);
  });
}

/** Per-county counts of a CSV computed independently of sensorpipe (csv-parse/sync), empty County left out. */
export function expectedCounts(file: string, countyColumn = 'County'): Map<string, number> {
  const records = parse(fs.readFileSync(file), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
  const counts = new Map<string, number>();
  for (const record of records) {
    const county = (record[countyColumn] ?? '').trim();
    if (county !== '') counts.set(county, (counts.get(county) ?? 0) + 1);
  }
  return counts;
}

export function total(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

/** Snapshot counties as a Map, for a comparison with `expectedCounts`. */
export function countsOf(snapshot: { counties: { county: string; count: number }[] }): Map<string, number> {
  return new Map(snapshot.counties.map((c) => [c.county, c.count]));
}

/**
 * Minified-bundle-like code of `bytes` UTF-8 bytes, in lines of about 1,000 characters: what the
 * template's size limits are tried with in place of the real bundles.
 */
export function bundleOf(bytes: number): string {
  const chunk =
    'var e=require("@aws-sdk/client-dynamodb");exports.handler=async t=>({batchItemFailures:[]});';
  const line = chunk.repeat(Math.ceil(1000 / chunk.length)).slice(0, 999);
  return Array.from({ length: Math.ceil(bytes / 1000) }, () => line)
    .join('\n')
    .slice(0, bytes);
}
