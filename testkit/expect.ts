import { expect } from 'chai';
import { lines, type RunResult, STACK_LINE } from './cli.js';

/** A user error as the CLI must show it: the exit code, one line on stderr saying `text`, no stack trace. */
export function expectOneLineError(result: RunResult, code: number, text: string): void {
  expect(result.code, result.stderr).to.equal(code);
  expect(lines(result.stderr)).to.have.length(1);
  expect(result.stderr).to.include(text);
  expect(result.stderr).not.to.match(STACK_LINE);
}
