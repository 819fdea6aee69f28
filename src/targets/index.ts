import { UsageError } from '../core/errors.js';
import type { TargetKind } from '../core/parameters.js';
import type { AwsSettings } from './aws/environment.js';
import { selectorFlags } from './stack-ref.js';
import type { Target } from './target.js';

/** Where local stacks live unless --data-dir says otherwise. */
export const DEFAULT_DATA_DIR = './.sensorpipe';

export interface TargetOptions {
  target: TargetKind;
  stackName: string;
  dataDir: string;
  /** --region, --profile, --endpoint-url (AWS target). */
  aws?: AwsSettings;
  /** stream --queue-url: send into this queue instead of the stack's. */
  queueUrl?: string;
}

/** Builds the target a command runs on; the modules behind each (and the AWS SDK) are loaded only when used. */
export async function createTarget(options: TargetOptions): Promise<Target> {
  if (options.target === 'aws') {
    const [{ AwsTarget }, { AwsEnvironment }, { StackDeployer }, { checkAwsStackName }] = await Promise.all([
      import('./aws/aws-target.js'),
      import('./aws/environment.js'),
      import('./aws/cloudformation.js'),
      import('../core/stack-name.js'),
    ]);
    checkAwsStackName(options.stackName);
    const aws = options.aws ?? {};
    const environment = new AwsEnvironment(aws);
    const selector = selectorFlags('aws', options.stackName, {
      region: aws.region,
      profile: aws.profile,
      'endpoint-url': aws.endpointUrl,
    });
    return AwsTarget.open({
      stackName: options.stackName,
      environment,
      deployer: new StackDeployer({ client: await environment.cloudformation(), selector }),
      queueUrl: options.queueUrl,
      selector,
    });
  }
  if (options.queueUrl !== undefined)
    throw new UsageError('--queue-url is for --target aws: a local stack has its own queue.');
  const { LocalTarget } = await import('./local/local-target.js');
  return new LocalTarget({
    dataDir: options.dataDir,
    stackName: options.stackName,
    selector: selectorFlags('local', options.stackName, {
      'data-dir': options.dataDir === DEFAULT_DATA_DIR ? undefined : options.dataDir,
    }),
  });
}
