import Table from 'cli-table3';

/** One measured figure and how it compares with its target. */
export interface Row {
  figure: string;
  value: string;
  /** The target, or 'baseline' / '—' for figures that are not judged. */
  target: string;
  /** true or false when judged against a target; null for baselines and figures without a target. */
  met: boolean | null;
  /** How the figure was obtained (runs, spread, cross-checks). */
  detail?: string;
  /** Shown in the final summary even though it is not judged (baselines). */
  headline?: boolean;
}

export interface SectionResult {
  title: string;
  rows: Row[];
}

const plain = { head: [], border: [] };

export function metLabel(met: boolean | null): string {
  return met === null ? '—' : met ? 'yes' : 'NO';
}

export function renderSection(rows: readonly Row[]): string {
  const table = new Table({
    head: ['Figure', 'Value', 'Target', 'Met?', 'Detail'],
    colAligns: ['left', 'right', 'left', 'center', 'left'],
    colWidths: [null, null, null, null, 64],
    wordWrap: true,
    style: plain,
  });
  for (const row of rows)
    table.push([row.figure, row.value, row.target, metLabel(row.met), row.detail ?? '']);
  return table.toString();
}

/** Every judged figure, and the baselines, of every section that ran. */
export function renderSummary(results: readonly SectionResult[]): string {
  const table = new Table({
    head: ['Section', 'Figure', 'Value', 'Target', 'Met?'],
    colAligns: ['left', 'left', 'right', 'left', 'center'],
    style: plain,
  });
  for (const { title, rows } of results) {
    for (const row of rows.filter((r) => r.met !== null || r.headline))
      table.push([title, row.figure, row.value, row.target, metLabel(row.met)]);
  }
  return table.toString();
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export const ms = (n: number, digits = 1): string => `${n.toFixed(digits)} ms`;

export const perSecond = (n: number): string => `${int(n)} /s`;

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
