/**
 * Text on one line, for messages that must stay one line (errors, reasons): runs of whitespace,
 * newlines included, become one space, and text longer than `max` characters is cut to `max`
 * with "..." at the end.
 */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  return `${flat.slice(0, Math.max(0, max - 3))}...`;
}
