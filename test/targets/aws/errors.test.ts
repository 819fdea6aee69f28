import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { expect } from 'chai';
import { ExitCode, UsageError } from '../../../src/core/errors.js';
import {
  busyStateOf,
  conditionOf,
  describeFailure,
  isConditionalCheckFailed,
  isMissingStack,
  isRefused,
  isResourceMissing,
  isRetryable,
  isRetryableEntry,
  isThrottling,
  toUserError,
} from '../../../src/targets/aws/errors.js';

function serviceError(name: string, message: string, requestId = 'req-123', status = 403) {
  return new CloudFormationServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId },
    message,
  });
}

const named = (name: string, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('targets/aws/errors', () => {
  describe('conditionOf: one condition, whatever the service called it', () => {
    const cases: [string, unknown, string][] = [
      ['ThrottlingException', named('ThrottlingException'), 'throttling'],
      ['CloudFormation Throttling', serviceError('Throttling', 'Rate exceeded', 'r', 400), 'throttling'],
      ['DynamoDB provisioned throughput', named('ProvisionedThroughputExceededException'), 'throttling'],
      ['an HTTP 429', named('SomethingNew', { $metadata: { httpStatusCode: 429 } }), 'throttling'],
      ['an HTTP 503', serviceError('ServiceUnavailable', 'down', 'r', 503), 'transient'],
      ['InternalServerError', named('InternalServerError'), 'transient'],
      [
        'a reset connection',
        Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        'unreachable',
      ],
      ["the SDK's timeout", named('TimeoutError'), 'unreachable'],
      ['AccessDenied', named('AccessDenied'), 'access-denied'],
      ['AccessDeniedException', named('AccessDeniedException'), 'access-denied'],
      ['ExpiredToken', named('ExpiredToken'), 'expired-token'],
      ['ExpiredTokenException', named('ExpiredTokenException'), 'expired-token'],
      ['InvalidClientTokenId', named('InvalidClientTokenId'), 'invalid-credentials'],
      ['UnrecognizedClientException', named('UnrecognizedClientException'), 'invalid-credentials'],
      ['no credentials', named('CredentialsProviderError'), 'no-credentials'],
      ['no region', new Error('Region is missing'), 'no-region'],
      ['Lambda/DynamoDB not found', named('ResourceNotFoundException'), 'resource-missing'],
      ['SQS missing queue', named('QueueDoesNotExist'), 'resource-missing'],
      ['its query code', named('X', { Code: 'AWS.SimpleQueueService.NonExistentQueue' }), 'resource-missing'],
      ['a conditional put', named('ConditionalCheckFailedException'), 'conditional-check-failed'],
      [
        'a missing stack',
        serviceError('ValidationError', 'Stack with id x does not exist', 'r', 400),
        'missing-stack',
      ],
      [
        'a busy stack',
        serviceError(
          'ValidationError',
          'Stack:arn is in UPDATE_IN_PROGRESS state and can not be updated.',
          'r',
          400,
        ),
        'stack-busy',
      ],
      [
        'a change set deleted when another one ran',
        serviceError('ChangeSetNotFoundException', 'ChangeSet [arn] does not exist', 'r', 404),
        'change-set-overtaken',
      ],
      ['its query code', named('X', { Code: 'ChangeSetNotFound' }), 'change-set-overtaken'],
      [
        'a change set made obsolete',
        serviceError('InvalidChangeSetStatusException', 'cannot be executed in its current status', 'r', 400),
        'change-set-overtaken',
      ],
      [
        'another service refusal',
        serviceError('ValidationError', 'Template format error', 'r', 400),
        'refused',
      ],
      ['a bug', new TypeError('x is not a function'), 'unknown'],
      ['a user error already made', new UsageError('bad flag'), 'unknown'],
    ];
    for (const [what, error, condition] of cases) {
      it(`${what}: ${condition}`, () => {
        expect(conditionOf(error)).to.equal(condition);
      });
    }

    it('answers the questions other modules ask', () => {
      expect(isThrottling(named('ThrottlingException'))).to.equal(true);
      expect(isRetryable(named('ThrottlingException'))).to.equal(true);
      expect(isRetryable(serviceError('InternalFailure', 'x', 'r', 500))).to.equal(true);
      expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).to.equal(true);
      expect(isRetryable(named('AccessDenied'))).to.equal(false);
      expect(isRefused(serviceError('ValidationException', 'Item size has exceeded', 'r', 400))).to.equal(
        true,
      );
      expect(isRefused(named('ResourceNotFoundException', { $metadata: { httpStatusCode: 400 } }))).to.equal(
        false,
      );
      expect(isResourceMissing(named('ResourceNotFoundException'))).to.equal(true);
      expect(isConditionalCheckFailed(named('ConditionalCheckFailedException'))).to.equal(true);
      expect(isMissingStack(serviceError('ValidationError', 'Stack [x] does not exist', 'r', 400))).to.equal(
        true,
      );
      expect(isMissingStack(serviceError('ValidationError', 'Template format error', 'r', 400))).to.equal(
        false,
      );
      expect(
        busyStateOf(
          serviceError('ValidationError', 'Stack:a is in DELETE_IN_PROGRESS state and can not be updated.'),
        ),
      ).to.equal('DELETE_IN_PROGRESS');
      expect(busyStateOf(serviceError('ValidationError', 'Template format error'))).to.equal(undefined);
    });

    it('tells SQS entries worth sending again from entries that can never succeed', () => {
      expect(isRetryableEntry({ Code: 'InternalError', SenderFault: false })).to.equal(true);
      expect(isRetryableEntry({ Code: 'ThrottlingException', SenderFault: true })).to.equal(true);
      expect(isRetryableEntry({ Code: 'InvalidMessageContents', SenderFault: true })).to.equal(false);
      expect(isRetryableEntry({ Code: 'InvalidParameterValue', SenderFault: false })).to.equal(false);
      expect(isRetryableEntry({ Code: 'BatchRequestTooLong', SenderFault: true })).to.equal(false);
    });

    it('describes a failure by its name and HTTP status', () => {
      expect(describeFailure(serviceError('Throttling', 'Rate exceeded', 'r', 400))).to.equal(
        'Throttling (HTTP 400)',
      );
      expect(describeFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).to.equal(
        'ECONNRESET',
      );
    });
  });

  describe('toUserError', () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      [
        'access denied',
        serviceError(
          'AccessDenied',
          'User: arn:aws:iam::123:user/dev is not authorized to perform: cloudformation:CreateChangeSet',
        ),
        'AWS_ACCESS_DENIED',
        /^AWS denied the request: User: .* cloudformation:CreateChangeSet\. Your identity needs the permissions listed under "IAM permissions" in the README\.$/,
      ],
      [
        'an expired token',
        serviceError('ExpiredToken', 'The security token included in the request is expired'),
        'AWS_EXPIRED_TOKEN',
        /^Your AWS session has expired \(ExpiredToken\): refresh it/,
      ],
      [
        'an unknown access key',
        serviceError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
        'AWS_INVALID_CREDENTIALS',
        /^AWS did not accept your credentials \(InvalidClientTokenId\)/,
      ],
      [
        'no credentials',
        Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        }),
        'AWS_NO_CREDENTIALS',
        /^No AWS credentials found: .* To run without AWS, use --target local\.$/,
      ],
      [
        'a refused connection, wrapped by the SDK',
        Object.assign(new Error('socket hang up'), {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        }),
        'AWS_UNREACHABLE',
        /^Cannot reach AWS \(ECONNREFUSED\): check your network, and try again\.$/,
      ],
      ['no region', new Error('Region is missing'), 'AWS_NO_REGION', /^No AWS region is set: pass --region/],
    ];
    for (const [what, error, code, message] of cases) {
      it(`turns ${what} into one line (${code}) with the request id kept for --debug`, () => {
        const described = toUserError(error);
        expect(described).to.include({ code, exitCode: ExitCode.environment });
        expect(described?.message).to.match(message);
        expect(described?.message).to.not.include('\n');
        if ((error as { $metadata?: unknown }).$metadata)
          expect(described?.suggestions).to.include('AWS request id: req-123');
      });
    }

    it('keeps no cause for a signature mismatch, whose message holds the signed string and its token', () => {
      const error = serviceError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match. The String-to-Sign should have been AWS4-HMAC-SHA256 x-amz-security-token:SECRET-TOKEN',
      );
      const described = toUserError(error);
      expect(described?.code).to.equal('AWS_INVALID_CREDENTIALS');
      expect(described?.cause).to.equal(undefined);
      expect(JSON.stringify(described)).to.not.include('SECRET-TOKEN');
      expect(described?.message).to.not.include('SECRET-TOKEN');
    });

    it('names the profile whose credentials AWS did not accept', () => {
      expect(
        toUserError(named('InvalidClientTokenId'), { settings: { profile: 'dev' } })?.message,
      ).to.include('of profile "dev"');
    });

    it('names the endpoint when --endpoint-url is unreachable', () => {
      const error = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
      expect(toUserError(error, { settings: { endpointUrl: 'http://localhost:4566' } })?.message).to.equal(
        'Cannot reach http://localhost:4566 (ECONNREFUSED): check your network and --endpoint-url, and try again.',
      );
    });

    it('says how to recover a resource of the stack deleted outside CloudFormation (exit 3)', () => {
      const error = toUserError(named('ResourceNotFoundException'), { stackName: 'pipe', resource: 'queue' });
      expect(error).to.include({ code: 'AWS_RESOURCE_MISSING', exitCode: ExitCode.state });
      expect(error?.message).to.equal(
        'A queue of stack "pipe" is gone (ResourceNotFoundException): it was deleted outside CloudFormation, and a deploy does not bring it back. Recreate the stack: sensorpipe destroy --target aws --stack-name pipe, then sensorpipe deploy --target aws --stack-name pipe.',
      );
    });

    it('names the queue of a stream that does not exist, with the same code', () => {
      const error = toUserError(named('QueueDoesNotExist'), { queueUrl: 'https://sqs.example/1/q' });
      expect(error).to.include({ code: 'AWS_RESOURCE_MISSING', exitCode: ExitCode.state });
      expect(error?.message).to.equal(
        'The queue https://sqs.example/1/q does not exist: deploy the stack (sensorpipe deploy) or pass the right --queue-url.',
      );
    });

    it('repeats the flags that selected the stack in the commands it suggests', () => {
      const selector = [
        '--target',
        'aws',
        '--stack-name',
        'pipe',
        '--region',
        'eu-west-1',
        '--profile',
        'ops',
      ];
      const gone = toUserError(named('ResourceNotFoundException'), { stackName: 'pipe', selector });
      expect(gone?.message).to.include(
        'Recreate the stack: sensorpipe destroy --target aws --stack-name pipe --region eu-west-1 --profile ops, then sensorpipe deploy --target aws --stack-name pipe --region eu-west-1 --profile ops.',
      );
      const queue = toUserError(named('QueueDoesNotExist'), {
        queueUrl: 'https://sqs.example/1/q',
        selector,
      });
      expect(queue?.message).to.include(
        '(sensorpipe deploy --target aws --stack-name pipe --region eu-west-1 --profile ops)',
      );
    });

    it('leaves throttling and other service errors to the caller', () => {
      expect(toUserError(serviceError('Throttling', 'Rate exceeded'))).to.equal(undefined);
      expect(toUserError(serviceError('ValidationError', 'Template format error'))).to.equal(undefined);
      expect(toUserError(new Error('boom'))).to.equal(undefined);
      expect(toUserError(new UsageError('a user error already'))).to.equal(undefined);
    });
  });
});
