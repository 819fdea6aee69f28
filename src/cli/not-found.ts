import type { Hook } from '@oclif/core';
import { commandNotFound, reportError } from './errors.js';

/**
 * oclif's command_not_found hook: `sensorpipe strem` gets the one-line error of every other usage
 * error, with the command meant (exit 2), or the JSON envelope with --json. oclif imports this module
 * only when a command is not found, so it costs nothing otherwise.
 */
const hook: Hook<'command_not_found'> = async function notFound({ id, argv, config }) {
  const args = argv ?? [];
  const ids = config.commands.filter((command) => !command.hidden).map((command) => command.id);
  process.exitCode = reportError(commandNotFound(id, ids), { json: args.includes('--json'), argv: args });
};

export default hook;
