/**
 * Reduces a header to what identifies it: exports from spreadsheets and Socrata differ in case,
 * spacing and separators (`County`, ` county `, `COUNTY`), and Excel adds a BOM to the first one.
 */
export function normalizeHeader(header: string): string {
  return header.replace(/[\s\uFEFF_-]+/g, '').toLowerCase();
}

/** The County header exactly as written in the file (it keys each row's data), or undefined. */
export function findCountyColumn(headers: readonly string[]): string | undefined {
  // An exact `County` wins over a look-alike, so a file with both is read the obvious way.
  if (headers.includes('County')) return 'County';
  return headers.find((header) => normalizeHeader(header) === 'county');
}
