import { EnvironmentError } from '../core/errors.js';
import type { Target, TargetKind } from './target.js';

export interface TargetOptions {
  target: TargetKind;
  stackName: string;
  dataDir: string;
}

/** Builds the target a command runs on; the modules behind each are loaded only when used. */
export async function createTarget(options: TargetOptions): Promise<Target> {
  if (options.target === 'aws') {
    throw new EnvironmentError(
      'The AWS target is not available in this version of sensorpipe yet; run the pipeline locally with --target local (or SENSORPIPE_TARGET=local).',
      'AWS_UNAVAILABLE',
    );
  }
  const { LocalTarget } = await import('./local/local-target.js');
  return new LocalTarget({ dataDir: options.dataDir, stackName: options.stackName });
}
