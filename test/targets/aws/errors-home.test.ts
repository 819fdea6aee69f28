import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const root = path.resolve(import.meta.dirname, '../../..');
const HOME = path.join('src', 'targets', 'aws', 'errors.ts');

/**
 * The AWS error names and messages that decide a code or a retry. They live in errors.ts only:
 * a second copy elsewhere is a second rule, and the two drift apart (an expired token was once
 * AWS_CREDENTIALS during stream and AWS_EXPIRED_TOKEN during deploy).
 */
const NAMES = [
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
  'ResourceNotFoundException',
  'NonExistentQueue',
  'QueueDoesNotExist',
  'ConditionalCheckFailedException',
  'ValidationError',
  'InvalidMessageContents',
  'InternalServerError',
  'ServiceUnavailable',
  'ChangeSetNotFoundException',
  'InvalidChangeSetStatusException',
  '_IN_PROGRESS) state',
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative);
    return /\.ts$/.test(entry.name) ? [relative] : [];
  });
}

/** A name as a whole word, so that AccessDenied does not match inside AccessDeniedException. */
const wholeWord = (name: string) =>
  new RegExp(`(?<![A-Za-z0-9_.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`);

describe('AWS error names have one home (src/targets/aws/errors.ts)', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('lambdas')];

  it('finds the source files, errors.ts among them', () => {
    expect(files.length).to.be.greaterThan(20);
    expect(files).to.include(HOME);
  });

  for (const name of NAMES) {
    it(`${name}: in errors.ts, and in no other file of src/ or lambdas/`, () => {
      const pattern = wholeWord(name);
      expect(fs.readFileSync(path.join(root, HOME), 'utf8')).to.match(pattern);
      const elsewhere = files.filter(
        (file) => file !== HOME && pattern.test(fs.readFileSync(path.join(root, file), 'utf8')),
      );
      expect(elsewhere, `${name} is also in`).to.deep.equal([]);
    });
  }
});
