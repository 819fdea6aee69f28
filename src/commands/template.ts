import { writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { type TemplateJson, withExitCodes } from '../cli/contracts.js';
import { UsageError } from '../core/errors.js';
import { printable } from '../render/printable.js';

export default class Template extends BaseCommand {
  static override summary = 'Print the CloudFormation template that deploy sends, Lambda code included.';
  static override description = withExitCodes(
    `Prints the exact TemplateBody of "sensorpipe deploy --target aws" (like cdk synth): the bundled
template with the code of both functions inlined as ZipFile. Needs no AWS account. Review it, diff it
between versions, or deploy it with other tools (aws cloudformation deploy --capabilities
CAPABILITY_NAMED_IAM). CloudFormation takes at most 51,200 bytes inline; the size is checked.`,
    { 2: '--output cannot be written', 4: 'this copy of sensorpipe was not built (no Lambda bundles)' },
  );

  static override examples = [
    '<%= config.bin %> template > pipeline.yaml',
    '<%= config.bin %> template --output pipeline.yaml',
    '<%= config.bin %> template --json | jq .bytes',
  ];

  static override flags = {
    output: Flags.string({
      char: 'o',
      description: 'Write the template to this file instead of standard output.',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<TemplateJson> {
    const { flags } = await this.parse(Template);
    const { MAX_TEMPLATE_BODY_BYTES, synthesizeTemplate, templateBodyBytes } = await import(
      '../targets/aws/template.js'
    );
    const body = synthesizeTemplate();
    const bytes = templateBodyBytes(body);
    if (flags.output) {
      try {
        await writeFile(flags.output, body);
      } catch (error) {
        throw new UsageError(
          `Cannot write ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Pass --output with a writable path.`,
          { cause: error },
        );
      }
      this.log(
        printable(
          `Wrote the template (${bytes.toLocaleString('en-US')} of ${MAX_TEMPLATE_BODY_BYTES.toLocaleString('en-US')} bytes) to ${flags.output}.`,
        ),
      );
      return { output: flags.output, bytes, maxBytes: MAX_TEMPLATE_BODY_BYTES };
    }
    if (!this.jsonEnabled()) process.stdout.write(body);
    return { templateBody: body, bytes, maxBytes: MAX_TEMPLATE_BODY_BYTES };
  }
}
