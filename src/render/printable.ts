/**
 * Text from data or from AWS (county names, message bodies and errors, paths, stack outputs, AWS
 * messages, function log lines) made safe to print on a terminal. A terminal obeys the control
 * characters in what it prints: ESC starts sequences that clear the screen, set the window title or
 * plant a hyperlink, CR rewinds the line (and can forge a Total row over a county's), bidi overrides
 * reorder what is shown, and invisible format characters make two different names look the same.
 * Each of them is shown escaped and visible instead, the way JavaScript writes it (`\x1b`, `\r`,
 * `\u202e`), so that what a person reads is what the data holds. `--json` output needs none of this:
 * JSON escapes control characters itself.
 */

/**
 * What is escaped: C0 and C1 controls and DEL (\p{Cc}); format characters (\p{Cf}: bidi embeddings,
 * overrides and isolates U+202A-202E and U+2066-2069, zero-width characters, the BOM, soft hyphens,
 * tags); the line and paragraph separators; the Hangul fillers, which print as blank letters; and
 * lone surrogates, which no encoder can write.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]|\p{Cs}/gu;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escaped(char: string): string {
  const short = SHORT[char];
  if (short) return short;
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}

/** One line of text with every control and invisible format character escaped (newlines too). */
export function printable(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, escaped) : text;
}

/** Several lines: each line made printable, the line breaks kept (a CR before a newline dropped). */
export function printableLines(text: string): string {
  return text
    .split('\n')
    .map((line) => printable(line.endsWith('\r') ? line.slice(0, -1) : line))
    .join('\n');
}
