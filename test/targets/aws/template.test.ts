import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  CODE_PLACEHOLDERS,
  loadTemplate,
  MAX_TEMPLATE_BODY_BYTES,
  parametersYaml,
  renderTemplate,
  templateBodyBytes,
  templatePath,
  yamlString,
} from '../../../src/targets/aws/template.js';
import { bundleOf } from '../../../testkit/fixtures.js';
import { type ParsedTemplate, parseTemplate } from '../../../testkit/template-parser.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Code with everything YAML could misread: quotes, `#`, `: `, backslashes, `${...}`, indentation, blank lines. */
const STORING_CODE = [
  '"use strict";',
  '// storing: a comment with a # and a key: value, and \'quotes\' and "double quotes"',
  'const { DynamoDBClient, BatchWriteItemCommand } = require("@aws-sdk/client-dynamodb");',
  'const table = process.env.EVENTS_TABLE;',
  '',
  'exports.handler = async (event) => {',
  '  const failures = []; # not a comment in YAML once inside a block',
  '  for (const record of event.Records) {',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source text, not a template literal
  '    const key = `${record.messageId}#${record.attributes?.ApproximateReceiveCount}`;',
  '    if (/^\\s*[{[]/.test(record.body) === false) failures.push({ itemIdentifier: record.messageId });',
  '\tconsole.log("tab-indented: %s", key, "\\\\server\\share", \'it\\\'s\');',
  '  }',
  '    ',
  '  return { batchItemFailures: failures }; // ✓ done — ünïcödé 🚀',
  '};',
  '',
].join('\n');

const AGGREGATION_CODE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source text, not a template literal
  '  "use strict";var a={"k: v":1,"#x":"- item","|":">"};exports.handler=async()=>`${a["k: v"]}\\n` // no final newline';

function zipFiles(template: ParsedTemplate): { storing: unknown; aggregation: unknown } {
  const code = (id: string) => (template.Resources[id]!.Properties!.Code as { ZipFile?: unknown }).ZipFile;
  return { storing: code('StoringFunction'), aggregation: code('AggregationFunction') };
}

/** The template with each ZipFile set to `code`, to compare everything else. */
function withCode(template: ParsedTemplate, code: string): ParsedTemplate {
  const copy = structuredClone(template);
  for (const id of ['StoringFunction', 'AggregationFunction']) {
    (copy.Resources[id]!.Properties!.Code as { ZipFile: string }).ZipFile = code;
  }
  return copy;
}

describe('targets/aws/template', () => {
  describe('loadTemplate', () => {
    it('reads templates/pipeline.yaml from the package root', () => {
      expect(templatePath()).to.equal(join(ROOT, 'templates', 'pipeline.yaml'));
      const template = loadTemplate();
      // The file with its Parameters made from the parameter table, and nothing else changed.
      const file = readFileSync(join(ROOT, 'templates', 'pipeline.yaml'), 'utf8');
      expect(template).to.equal(
        file.replace('Parameters: __PARAMETERS__', `Parameters:\n${parametersYaml()}`),
      );
      expect(template).to.include(CODE_PLACEHOLDERS.storing).and.include(CODE_PLACEHOLDERS.aggregation);
      expect(template).not.to.include('__PARAMETERS__');
    });
  });

  describe('renderTemplate', () => {
    it('puts each function code in its ZipFile exactly, as valid YAML', () => {
      const body = renderTemplate({ storing: STORING_CODE, aggregation: AGGREGATION_CODE });
      expect(zipFiles(parseTemplate(body))).to.deep.equal({
        storing: STORING_CODE,
        aggregation: AGGREGATION_CODE,
      });
      expect(body).to.not.include(CODE_PLACEHOLDERS.storing).and.not.include(CODE_PLACEHOLDERS.aggregation);
    });

    it('writes ordinary code as a literal block that reads like the code', () => {
      const body = renderTemplate({ storing: STORING_CODE, aggregation: AGGREGATION_CODE });
      expect(body).to.include(`        ZipFile: |2\n          "use strict";\n`);
      expect(body).to.include('\n          exports.handler = async (event) => {\n');
      expect(body).to.include(`        ZipFile: |2-\n            "use strict";var a=`);
    });

    it('changes nothing else in the template', () => {
      const original = parseTemplate(loadTemplate());
      const rendered = parseTemplate(renderTemplate({ storing: 'x', aggregation: 'x' }));
      expect(rendered).to.deep.equal(withCode(original, 'x'));
    });

    it('reads back the same with a plain YAML parser (short-form tags left unresolved)', () => {
      const body = renderTemplate({ storing: STORING_CODE, aggregation: AGGREGATION_CODE });
      const plain = parse(body, { logLevel: 'silent' }) as ParsedTemplate;
      expect(zipFiles(plain)).to.deep.equal({ storing: STORING_CODE, aggregation: AGGREGATION_CODE });
    });

    const edgeCases: [string, string][] = [
      ['empty code', ''],
      ['one line, no newline', 'exports.handler=async()=>1'],
      ['a trailing newline', 'a;\n'],
      ['several trailing newlines', 'a;\n\n\n'],
      ['leading blank lines and indentation', '\n\n    a;\n  b;'],
      ['only whitespace lines at the end', 'a;\n   \n  '],
      ['CRLF line ends', 'a;\r\nb;\r\n'],
      ['control characters', 'a="\u0000\u0007\u001b\u007f\u0085";'],
      ['line and paragraph separators and a BOM', '\ufeffa="\u2028\u2029";'],
      ['what String.replace would expand', "a='$&$1$$$`$\\'';"],
      ['a YAML document marker and flow characters', '---\n...\n{ [ ] } , ? ! % @ `'],
      ['a line that looks like a placeholder', `        ZipFile: ${CODE_PLACEHOLDERS.aggregation}\n`],
    ];
    for (const [name, code] of edgeCases) {
      it(`keeps code exactly: ${name}`, () => {
        const body = renderTemplate({ storing: code, aggregation: code });
        expect(zipFiles(parseTemplate(body))).to.deep.equal({ storing: code, aggregation: code });
      });
    }

    it('writes what a literal block cannot carry as a double-quoted string', () => {
      expect(yamlString('a\r\nb', 8)).to.equal('"a\\r\\nb"');
      expect(yamlString('a\u0085', 8)).to.equal('"a\\u0085"');
      expect(yamlString('a\n\n', 8)).to.equal('"a\\n\\n"');
      expect(yamlString('', 8)).to.equal('""');
      expect(yamlString('a\n b', 4)).to.equal('|2-\n      a\n       b');
    });

    it('refuses a template without exactly one of each placeholder', () => {
      const template = loadTemplate();
      const without = template.replace(CODE_PLACEHOLDERS.storing, 'x');
      expect(() => renderTemplate({ storing: 'a', aggregation: 'b' }, without)).to.throw(
        /__STORING_CODE__ once/,
      );
      const twice = template.replace(
        `ZipFile: ${CODE_PLACEHOLDERS.storing}`,
        `ZipFile: ${CODE_PLACEHOLDERS.storing}\n        ZipFile: ${CODE_PLACEHOLDERS.aggregation}`,
      );
      expect(() => renderTemplate({ storing: 'a', aggregation: 'b' }, twice)).to.throw(/found it 2 times/);
    });
  });

  describe('template body size', () => {
    it('counts UTF-8 bytes', () => {
      expect(templateBodyBytes('abc')).to.equal(3);
      expect(templateBodyBytes('é🚀')).to.equal(6);
      expect(MAX_TEMPLATE_BODY_BYTES).to.equal(51_200);
    });

    /** What the template adds to the code: all of it but the code bytes. */
    function overheadBytes(): number {
      return templateBodyBytes(renderTemplate({ storing: 'a', aggregation: 'b' })) - 2;
    }

    // Part 5's hardening (the failure queue, the KMS key and its grants, the conditions) took the
    // template from 8 to 16.3 KB; the bundles lost the parameter table (7.6 KB) at the same time, so
    // the room left for code growth is about what it was: 14 KB over today's 19.6 KB of bundles.
    it('adds less than 17 KB to the functions code', () => {
      expect(overheadBytes()).to.be.lessThan(17_000);
    });

    it('fits one TemplateBody with up to MAX_TEMPLATE_BODY_BYTES - overhead (about 34 KB) of minified code', () => {
      const maxCombinedCode = MAX_TEMPLATE_BODY_BYTES - overheadBytes();
      expect(maxCombinedCode).to.be.greaterThan(34_000);
      // esbuild's minified bundles are one line; each further line would cost its indentation.
      const storing = 'x'.repeat(Math.ceil(maxCombinedCode / 2));
      const aggregation = 'y'.repeat(Math.floor(maxCombinedCode / 2));
      const body = renderTemplate({ storing, aggregation });
      expect(templateBodyBytes(body)).to.equal(MAX_TEMPLATE_BODY_BYTES);
      expect(zipFiles(parseTemplate(body))).to.deep.equal({ storing, aggregation });
      const oneMore = renderTemplate({ storing: `${storing}x`, aggregation });
      expect(templateBodyBytes(oneMore)).to.be.greaterThan(MAX_TEMPLATE_BODY_BYTES);
    });

    it('fits two 17 KB bundles, but not a 45 KB one: larger code needs the template uploaded (TemplateURL)', () => {
      const small = renderTemplate({ storing: bundleOf(17_000), aggregation: bundleOf(17_000) });
      expect(templateBodyBytes(small)).to.be.lessThan(MAX_TEMPLATE_BODY_BYTES);
      const large = renderTemplate({ storing: bundleOf(45_000), aggregation: bundleOf(1_000) });
      expect(templateBodyBytes(large)).to.be.greaterThan(MAX_TEMPLATE_BODY_BYTES);
    });
  });
});
