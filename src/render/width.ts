/**
 * How many terminal columns text takes, and cutting it to a width. For printable text (see
 * printable.ts): no control characters. East Asian wide and fullwidth characters and emoji take two
 * columns, combining marks none: what terminals do, so that tables line up and never wrap.
 */

const ASCII = /^[\x20-\x7e]*$/;
const COMBINING = /^[\p{Mn}\p{Me}]$/u;
const EMOJI = /^\p{Extended_Pictographic}$/u;

/** East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth.txt, the blocks that matter). */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f2ff],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

function isWide(code: number): boolean {
  if (code < 0x1100) return false;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = WIDE[mid]!;
    if (code < start) hi = mid - 1;
    else if (code > end) lo = mid + 1;
    else return true;
  }
  return false;
}

function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x300) return 1;
  if (COMBINING.test(char)) return 0;
  if (isWide(code)) return 2;
  return code >= 0x1f000 && EMOJI.test(char) ? 2 : 1;
}

/** The columns `text` takes on a terminal. */
export function displayWidth(text: string): number {
  if (ASCII.test(text)) return text.length;
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

export const ELLIPSIS = '…';

/**
 * `text` cut to at most `width` columns, with an ellipsis where it was cut: at the end, or in the
 * middle (`keep: 'ends'`), which keeps a path's file name and a URL's last part in sight.
 */
export function truncate(text: string, width: number, keep: 'start' | 'ends' = 'start'): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  if (width === 1) return ELLIPSIS;
  const room = width - 1;
  if (keep === 'ends') {
    const tail = takeEnd(text, Math.floor(room / 2));
    return `${takeStart(text, room - displayWidth(tail))}${ELLIPSIS}${tail}`;
  }
  return `${takeStart(text, room)}${ELLIPSIS}`;
}

/** The longest start of `text` that fits in `width` columns. */
function takeStart(text: string, width: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > width) break;
    used += w;
    end += char.length;
  }
  return text.slice(0, end);
}

/** The longest end of `text` that fits in `width` columns. */
function takeEnd(text: string, width: number): string {
  const chars = [...text];
  let used = 0;
  let start = chars.length;
  while (start > 0) {
    const w = charWidth(chars[start - 1]!);
    if (used + w > width) break;
    used += w;
    start--;
  }
  return chars.slice(start).join('');
}

/** `text` padded with spaces to `width` columns, on the right (left-aligned) or on the left. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

/**
 * Prose wrapped at spaces to lines of at most `width` columns (a word longer than the width is cut),
 * so that a terminal never wraps it itself and a live view knows how many lines it drew. Given as
 * a list, each item is kept whole on a line where it fits (a timestamp, "(5 min)").
 */
export function wrap(text: string | readonly string[], width: number | undefined): string[] {
  const words = typeof text === 'string' ? text.split(' ') : text;
  const whole = words.join(' ');
  if (width === undefined || displayWidth(whole) <= width) return [whole];
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (displayWidth(candidate) <= width) line = candidate;
    else {
      if (line !== '') lines.push(line);
      if (displayWidth(word) <= width) line = word;
      else if (!word.includes(' ')) line = truncate(word, width);
      else {
        // An item wider than a line is wrapped at its own spaces.
        const parts = wrap(word, width);
        lines.push(...parts.slice(0, -1));
        line = parts.at(-1) ?? '';
      }
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
