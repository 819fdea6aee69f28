import os from 'node:os';
import path from 'node:path';

/**
 * The environment of every child sensorpipe this kit starts (tests, faults, bench): nothing of the
 * engineer's own sensorpipe settings, and never their AWS identity (every AWS_* goes; a run cannot
 * reach a real account by accident), CI on (no spinners, no redraws), no colour and no COLUMNS. `extra` adds
 * what a case needs, dummy AWS credentials for an emulator included.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    const aws = key.startsWith('AWS_') && key !== 'AWS_CA_BUNDLE';
    // FORCE_COLOR and COLUMNS would colour and cut what the specs read (src/render/terminal.ts).
    const terminal = key === 'FORCE_COLOR' || key === 'COLUMNS';
    if (key.startsWith('SENSORPIPE_') || key === 'DEBUG' || key === 'NODE_OPTIONS' || aws || terminal)
      delete env[key];
  }
  return {
    ...env,
    CI: 'true',
    NO_COLOR: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No AWS account of this machine's: no config, no credentials, no instance metadata.
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'sensorpipe-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'sensorpipe-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}
