import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { findCountyColumn } from '../../src/source/header.js';

import { ROOT, SHARED_DATASET } from '../../testkit/paths.js';

export { ROOT };
/** The real dataset, kept beside the project (never copied into it). */
export const DATASET_PATH = SHARED_DATASET;

export interface DatasetRow {
  county: string;
  data: Record<string, string>;
}

export interface Dataset {
  path: string;
  /** The file's bytes, for building bigger files from it. */
  bytes: Buffer;
  /** The rows the CLI sends (a non-empty County and every column), as the CLI reads them. */
  rows: DatasetRow[];
}

export function datasetExists(): boolean {
  return existsSync(DATASET_PATH);
}

export function loadDataset(path = DATASET_PATH): Dataset {
  const bytes = readFileSync(path);
  const records = parse(bytes, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const [header, ...body] = records;
  if (!header) throw new Error(`${path} is empty`);
  const countyColumn = findCountyColumn(header);
  if (countyColumn === undefined) throw new Error(`${path} has no County column`);
  const countyIndex = header.indexOf(countyColumn);
  const rows: DatasetRow[] = [];
  for (const record of body) {
    const county = record[countyIndex]?.trim() ?? '';
    if (record.length !== header.length || county === '') continue;
    rows.push({ county, data: Object.fromEntries(header.map((name, i) => [name, record[i]!])) });
  }
  return { path, bytes, rows };
}
