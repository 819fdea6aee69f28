import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  type FunctionCode,
  functionCodePath,
  loadFunctionCode,
  MAX_TEMPLATE_BODY_BYTES,
  synthesizeTemplate,
  templateBodyBytes,
} from '../../../src/targets/aws/template.js';
import { buildRoot, ensureBuilt } from '../../../testkit/build.js';
import { bundleOf } from '../../../testkit/fixtures.js';
import { type ParsedTemplate, parseTemplate } from '../../../testkit/template-parser.js';

function zipFiles(template: ParsedTemplate): { storing: unknown; aggregation: unknown } {
  const code = (id: string) => (template.Resources[id]!.Properties!.Code as { ZipFile?: unknown }).ZipFile;
  return { storing: code('StoringFunction'), aggregation: code('AggregationFunction') };
}

describe('targets/aws/template, with the built functions', () => {
  describe('synthesizeTemplate', () => {
    let code: FunctionCode;

    before(async function () {
      await ensureBuilt.call(this);
      code = loadFunctionCode(await buildRoot());
    });

    it('inlines the bundled functions the package ships, and fits one TemplateBody', async () => {
      expect(code.storing).to.equal(readFileSync(functionCodePath('storing', await buildRoot()), 'utf8'));
      expect(code.storing).to.include('handler');
      const body = synthesizeTemplate(code);
      expect(zipFiles(parseTemplate(body))).to.deep.equal({
        storing: code.storing,
        aggregation: code.aggregation,
      });
      expect(templateBodyBytes(body)).to.be.at.most(MAX_TEMPLATE_BODY_BYTES);
    });

    it('is byte-identical for the same code, so an unchanged deploy changes no function', () => {
      expect(synthesizeTemplate(code)).to.equal(synthesizeTemplate({ ...code }));
      const changed = synthesizeTemplate({ ...code, storing: '// v2' });
      expect(zipFiles(parseTemplate(changed)).storing).to.equal('// v2');
      expect(zipFiles(parseTemplate(changed)).aggregation).to.equal(code.aggregation);
      expect(changed).to.not.equal(synthesizeTemplate(code));
    });

    it('says how to build when the bundles are missing', () => {
      expect(() => loadFunctionCode('/nonexistent')).to.throw(/was not built. Run npm run build/);
    });

    it('refuses code that would take the body over the inline limit', () => {
      expect(() => synthesizeTemplate({ storing: bundleOf(45_000), aggregation: bundleOf(1_000) })).to.throw(
        /over CloudFormation's 51200-byte limit/,
      );
    });
  });
});
