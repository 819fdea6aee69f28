import type { AwsSettings } from './aws/environment.js';
import type { Target, TargetKind } from './target.js';

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
    const environment = new AwsEnvironment(options.aws ?? {});
    return AwsTarget.open({
      stackName: options.stackName,
      environment,
      deployer: new StackDeployer({ client: await environment.cloudformation() }),
      queueUrl: options.queueUrl,
    });
  }
  const { LocalTarget } = await import('./local/local-target.js');
  return new LocalTarget({ dataDir: options.dataDir, stackName: options.stackName });
}
