import { expect } from 'chai';
import { interruptedAfterDeploy } from '../../src/cli/interrupted.js';
import { ExitCode } from '../../src/core/errors.js';
import { DEFAULT_PARAMETERS } from '../../src/core/parameters.js';
import { selectorFlags } from '../../src/targets/stack-ref.js';
import type { DeployResult } from '../../src/targets/target.js';

describe('cli/interrupted: Ctrl-C during a deploy that could not stop', () => {
  const ref = { selector: selectorFlags('local', 'dev', { 'data-dir': '/d' }) };
  const result: DeployResult = {
    stackName: 'dev',
    target: 'local',
    action: 'created',
    location: '/d/dev.sqlite',
    parameters: { ...DEFAULT_PARAMETERS },
    changes: [],
    details: { kind: 'local', migratedFrom: null },
  };

  it('says what was created, and how to remove it, on the same stack (exit 130)', () => {
    const error = interruptedAfterDeploy(result, ref);
    expect(error).to.include({ code: 'INTERRUPTED', exitCode: ExitCode.interrupted });
    expect(error.message).to.equal(
      'Interrupted, but the deploy had finished when Ctrl-C came: stack "dev" (/d/dev.sqlite) was created, with its parameters; nothing else was. Remove it with: sensorpipe destroy --target local --stack-name dev --data-dir /d.',
    );
  });

  it('says what an update changed, or that nothing was', () => {
    const updated = interruptedAfterDeploy(
      {
        ...result,
        action: 'updated',
        changes: [
          { parameter: 'BatchSize', from: 100, to: 10 },
          { parameter: 'ScheduleEnabled', from: true, to: false },
        ],
      },
      ref,
    );
    expect(updated.message).to.equal(
      'Interrupted, but the deploy had finished when Ctrl-C came: stack "dev" (/d/dev.sqlite) was updated (BatchSize 100 -> 10, ScheduleEnabled true -> false); nothing else was changed.',
    );
    expect(interruptedAfterDeploy({ ...result, action: 'unchanged' }, ref).message).to.equal(
      'Interrupted, but the deploy had finished when Ctrl-C came: nothing was changed (stack "dev" (/d/dev.sqlite) was up to date).',
    );
  });
});
