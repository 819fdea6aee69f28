/**
 * The one timestamp format for people, in every human view: `2026-12-01 13:50:15Z` (UTC, to the
 * second). --json keeps ISO 8601 with milliseconds, for scripts.
 */
export function formatTime(iso: string): string;
export function formatTime(iso: string | null | undefined, missing: string): string;
export function formatTime(iso: string | null | undefined, missing = '-'): string {
  if (iso === null || iso === undefined) return missing;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return new Date(Math.floor(time / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z');
}
