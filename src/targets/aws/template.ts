import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/errors.js';
import { PARAMETER_NAMES, PARAMETERS, type ParameterDefinition } from '../../core/parameters.js';

/** CloudFormation's limit on a TemplateBody passed inline (CreateStack / UpdateStack / CreateChangeSet). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

const TEMPLATE_FILE = join('templates', 'pipeline.yaml');

/** Where each function's bundled code goes (`Code.ZipFile`) in templates/pipeline.yaml. */
export const CODE_PLACEHOLDERS = {
  storing: '__STORING_CODE__',
  aggregation: '__AGGREGATION_CODE__',
} as const;

export type FunctionCode = Record<keyof typeof CODE_PLACEHOLDERS, string>;

/**
 * The package root: the first directory up from this module that holds templates/pipeline.yaml.
 * That is two levels up from src/targets/aws under tsx and three from dist/src/targets/aws once
 * built; `templates` ships in the npm package next to `dist`.
 */
export function templatePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, TEMPLATE_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`Cannot find ${TEMPLATE_FILE} above ${fileURLToPath(import.meta.url)}.`);
    dir = parent;
  }
}

/** Where the stack parameters go in templates/pipeline.yaml: `Parameters: __PARAMETERS__`. */
export const PARAMETERS_PLACEHOLDER = '__PARAMETERS__';

/** The template as shipped, with its Parameters made from the parameter table; code placeholders stay. */
export function loadTemplate(): string {
  const raw = readFileSync(templatePath(), 'utf8');
  const line = new RegExp(`^Parameters: ${PARAMETERS_PLACEHOLDER}[ \\t]*$`, 'm');
  if (!line.test(raw)) throw new Error(`The template must have "Parameters: ${PARAMETERS_PLACEHOLDER}".`);
  return raw.replace(line, () => `Parameters:\n${parametersYaml()}`);
}

/**
 * The template's `Parameters`, made from core/parameters.ts (the one definition the deploy flags and
 * the validation come from too), with every constraint CloudFormation can check itself.
 */
export function parametersYaml(): string {
  const lines: string[] = [];
  for (const name of PARAMETER_NAMES) {
    const d: ParameterDefinition = PARAMETERS[name];
    const description = `${d.description[0]?.toUpperCase()}${d.description.slice(1)}.`;
    lines.push(`  ${name}:`);
    if (d.type === 'integer') {
      lines.push(
        '    Type: Number',
        `    Default: ${d.default}`,
        `    MinValue: ${d.min}`,
        `    MaxValue: ${d.max}`,
      );
      if (d.allowed) lines.push(`    AllowedValues: [${d.allowed.join(', ')}]`);
    } else if (d.type === 'boolean') {
      lines.push('    Type: String', `    Default: '${d.default}'`, "    AllowedValues: ['true', 'false']");
    } else {
      lines.push('    Type: String', `    Default: ${JSON.stringify(d.default)}`);
      if (d.allowed) lines.push(`    AllowedValues: [${d.allowed.map((v) => JSON.stringify(v)).join(', ')}]`);
      if (d.pattern) {
        lines.push(
          `    AllowedPattern: ${JSON.stringify(d.pattern.regex.source)}`,
          `    ConstraintDescription: ${JSON.stringify(`Must be ${d.pattern.means}.`)}`,
        );
      }
    }
    lines.push(`    Description: ${JSON.stringify(description)}`);
  }
  return lines.join('\n');
}

/** The directory that holds templates/ and dist/: the installed package, or the repository. */
export function packageRoot(): string {
  return dirname(dirname(templatePath()));
}

/** Where the build puts each function's bundle (scripts/bundle-lambdas.js). */
export function functionCodePath(name: keyof FunctionCode, root: string = packageRoot()): string {
  return join(root, 'dist', 'lambdas', `${name}.js`);
}

/** The bundled code of both functions, as the npm package ships it. */
export function loadFunctionCode(root: string = packageRoot()): FunctionCode {
  const code = {} as FunctionCode;
  for (const name of Object.keys(CODE_PLACEHOLDERS) as (keyof FunctionCode)[]) {
    const file = functionCodePath(name, root);
    if (!existsSync(file)) {
      throw new EnvironmentError(
        `The bundled Lambda code is missing (${file}): this copy of sensorpipe was not built. Run npm run build, or install sensorpipe from npm.`,
        'NOT_BUILT',
      );
    }
    code[name] = readFileSync(file, 'utf8');
  }
  return code;
}

/**
 * The exact TemplateBody deploy sends: the shipped template with the shipped code inlined. Unchanged
 * code gives a byte-identical body, so CloudFormation leaves the functions alone; changed code changes
 * their `ZipFile`, so it updates them.
 */
export function synthesizeTemplate(code: FunctionCode = loadFunctionCode()): string {
  const body = renderTemplate(code);
  const bytes = templateBodyBytes(body);
  if (bytes > MAX_TEMPLATE_BODY_BYTES) {
    throw new Error(
      `The template with its code is ${bytes} bytes, over CloudFormation's ${MAX_TEMPLATE_BODY_BYTES}-byte limit for an inline template.`,
    );
  }
  return body;
}

/** The template with each function's code in its `Code.ZipFile`, ready to be a TemplateBody. */
export function renderTemplate(code: FunctionCode, template: string = loadTemplate()): string {
  // Find every placeholder in the template first, so code that happens to contain a placeholder line
  // is never substituted a second time; then substitute from the last to the first.
  const sites = (Object.keys(CODE_PLACEHOLDERS) as (keyof FunctionCode)[]).map((name) => {
    const pattern = new RegExp(`^( *)([A-Za-z]+): ${CODE_PLACEHOLDERS[name]}[ \\t]*$`, 'gm');
    const matches = [...template.matchAll(pattern)];
    if (matches.length !== 1) {
      throw new Error(
        `The template must hold ${CODE_PLACEHOLDERS[name]} once; found it ${matches.length} times.`,
      );
    }
    const match = matches[0]!;
    return {
      name,
      start: match.index,
      end: match.index + match[0].length,
      indent: match[1]!,
      key: match[2]!,
    };
  });
  sites.sort((a, b) => b.start - a.start);
  let body = template;
  for (const site of sites) {
    const value = yamlString(code[site.name], site.indent.length);
    body = `${body.slice(0, site.start)}${site.indent}${site.key}: ${value}${body.slice(site.end)}`;
  }
  return body;
}

/** The size CloudFormation counts against MAX_TEMPLATE_BODY_BYTES: UTF-8 bytes. */
export function templateBodyBytes(body: string): number {
  return Buffer.byteLength(body, 'utf8');
}

const BLOCK_INDENT = 2;
/**
 * Text a literal block scalar carries unchanged: tabs, line feeds and YAML's printable characters,
 * less those some parsers take for line breaks or a byte order mark (NEL, U+2028/9, U+FEFF).
 */
const LITERAL_SAFE =
  /^[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;
const NOT_PRINTABLE =
  /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` as the YAML value of a mapping key indented by `keyIndent` spaces: a literal block scalar
 * (`|`) with an explicit indentation indicator, so code that starts with spaces or blank lines keeps
 * them, and the chomping indicator that gives back exactly its trailing line break (or none). Text a
 * literal block cannot carry exactly (a carriage return, control characters, several trailing line
 * breaks, which would swallow the blank line after the value) is written double-quoted instead.
 */
export function yamlString(text: string, keyIndent: number): string {
  const trailingBreaks = /\n*$/.exec(text)![0].length;
  if (text.length === 0 || trailingBreaks > 1 || !LITERAL_SAFE.test(text)) return doubleQuoted(text);
  const lines = (trailingBreaks === 1 ? text.slice(0, -1) : text).split('\n');
  const prefix = ' '.repeat(keyIndent + BLOCK_INDENT);
  const header = `|${BLOCK_INDENT}${trailingBreaks === 1 ? '' : '-'}`;
  return [header, ...lines.map((line) => (line === '' ? '' : prefix + line))].join('\n');
}

/** A JSON string is a YAML double-quoted scalar; whatever JSON leaves raw but YAML cannot print is escaped. */
function doubleQuoted(text: string): string {
  return JSON.stringify(text).replace(
    NOT_PRINTABLE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
