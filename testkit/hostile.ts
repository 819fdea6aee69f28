/**
 * Hostile strings for terminal output: what a CSV row (a County) or an AWS answer could carry to
 * take over a terminal. Every command that prints data is run with them (test/cli/hostile.e2e.ts);
 * what a user sees must hold no raw control byte, and no row may pass for the Total.
 */
export interface HostileString {
  name: string;
  value: string;
  /** What the value shows as once made printable. */
  shown: string;
}

export const HOSTILE_STRINGS: readonly HostileString[] = [
  { name: 'clear screen and colour', value: '\x1b[2J\x1b[31mEVIL', shown: '\\x1b[2J\\x1b[31mEVIL' },
  {
    name: 'an OSC 8 hyperlink',
    value: '\x1b]8;;https://evil.example/\x1b\\Erie\x1b]8;;\x1b\\',
    shown: '\\x1b]8;;https://evil.example/\\x1b\\Erie\\x1b]8;;\\x1b\\',
  },
  { name: 'a window title', value: '\x1b]0;title\x07Erie', shown: '\\x1b]0;title\\x07Erie' },
  { name: 'a carriage return forging the Total', value: 'Totally\rTotal', shown: 'Totally\\rTotal' },
  { name: 'a bidi override', value: 'Kings\u202eLATOT', shown: 'Kings\\u202eLATOT' },
  { name: 'bidi isolates', value: '\u2067Queens\u2069', shown: '\\u2067Queens\\u2069' },
  { name: 'a NUL', value: 'Nul\x00l', shown: 'Nul\\x00l' },
  { name: 'an 8-bit CSI', value: 'C1\u009b2J', shown: 'C1\\x9b2J' },
  { name: 'a zero-width space', value: 'Er\u200bie', shown: 'Er\\u200bie' },
  {
    name: 'a backspace over text',
    value: 'Total\x08\x08\x08\x08\x08Albany',
    shown: 'Total\\x08\\x08\\x08\\x08\\x08Albany',
  },
  { name: 'a lone surrogate', value: 'Lone\ud800', shown: 'Lone\\ud800' },
];

/**
 * A byte a terminal acts on: C0 controls but the line feed, DEL, C1 controls, bidi controls, and
 * U+FFFD (a lone surrogate that reached the output raw). ESC is among the C0.
 */
export const RAW_CONTROL =
  /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/u;
