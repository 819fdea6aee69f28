/**
 * Colour for people: red for errors and FAIL, green for PASS, dim for secondary text. Only where
 * terminal.ts allows it (colorEnabled); otherwise every style returns its text unchanged, so output
 * to a pipe, a file, NO_COLOR or TERM=dumb has no escape code at all.
 */
export interface Style {
  red(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const sgr = (on: number, off: number) => (text: string) =>
  text === '' ? text : `\x1b[${on}m${text}\x1b[${off}m`;

const COLOURS: Style = { red: sgr(31, 39), green: sgr(32, 39), dim: sgr(2, 22), bold: sgr(1, 22) };

const identity = (text: string) => text;
const NONE: Style = { red: identity, green: identity, dim: identity, bold: identity };

export function styleFor(color: boolean): Style {
  return color ? COLOURS : NONE;
}
