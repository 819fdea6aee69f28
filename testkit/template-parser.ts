/**
 * Reads a CloudFormation YAML template into its JSON form, for the template tests. Test-only: the
 * product never parses a template, it only writes one (src/targets/aws/template.ts).
 */
import {
  type CollectionTag,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  type ScalarTag,
} from 'yaml';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  [key: string]: unknown;
}

export interface TemplateParameter {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  MinValue?: number;
  MaxValue?: number;
  Description?: string;
  [key: string]: unknown;
}

export interface ParsedTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, TemplateParameter>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
  [key: string]: unknown;
}

/** CloudFormation's short-form intrinsic functions (`!Ref`, `!GetAtt`, ...), by tag name. */
const SHORT_FORMS = [
  'Ref',
  'Condition',
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'Base64',
  'Cidr',
  'GetAZs',
  'Length',
  'ToJsonString',
  'Transform',
] as const;

/** Each short form may tag a scalar, a sequence or a mapping; the node is kept as is and read by `toJs`. */
const CFN_TAGS: (ScalarTag | CollectionTag)[] = SHORT_FORMS.flatMap((name): (ScalarTag | CollectionTag)[] => {
  const tag = `!${name}`;
  const keep = (value: unknown) => value;
  return [
    { tag, resolve: (value: string) => value },
    { tag, collection: 'seq', resolve: keep },
    { tag, collection: 'map', resolve: keep },
  ];
});

/**
 * Parses a CloudFormation YAML template into its JSON form: `!Ref X` becomes `{ Ref: 'X' }`,
 * `!GetAtt A.B` becomes `{ 'Fn::GetAtt': ['A', 'B'] }`, `!Sub s` becomes `{ 'Fn::Sub': 's' }` and so on.
 */
export function parseTemplate(body: string): ParsedTemplate {
  const doc = parseDocument(body, { customTags: CFN_TAGS, uniqueKeys: true, prettyErrors: false });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0)
    throw new Error(`Invalid template YAML: ${problems.map((p) => p.message).join('; ')}`);
  const template = toJs(doc.contents);
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new Error('Invalid template: the document is not a mapping.');
  }
  if (typeof (template as ParsedTemplate).Resources !== 'object') {
    throw new Error('Invalid template: it has no Resources.');
  }
  return template as ParsedTemplate;
}

function toJs(node: Node | null | undefined): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) throw new Error('Invalid template: YAML aliases are not supported by CloudFormation.');
  let value: unknown;
  if (isScalar(node)) value = node.value;
  else if (isSeq(node)) value = node.items.map((item) => toJs(item as Node | null));
  else if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = toJs(pair.value as Node | null);
    }
    value = out;
  } else throw new Error('Invalid template: unexpected YAML node.');
  return intrinsic(node.tag, value);
}

function intrinsic(tag: string | undefined, value: unknown): unknown {
  if (!tag?.startsWith('!') || tag.startsWith('!!')) return value;
  const name = tag.slice(1);
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

/** `{ Ref: 'AWS::NoValue' }`: CloudFormation drops the property or list item it stands for. */
function isNoValue(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    (value as { Ref?: unknown }).Ref === 'AWS::NoValue'
  );
}

/**
 * The template as CloudFormation deploys it for these parameter values (the others take their
 * defaults): every condition evaluated, resources whose condition is false left out, each `Fn::If`
 * replaced by its branch, and `AWS::NoValue` removed. Every other intrinsic (Ref, GetAtt, Sub) stays
 * as it is. The conditions may use Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition, over Refs to
 * parameters and literals, as CloudFormation allows.
 */
export function resolveTemplate(
  template: ParsedTemplate,
  values: Record<string, string | number | boolean> = {},
): ParsedTemplate {
  const parameters: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter.Default !== undefined) parameters[name] = String(parameter.Default);
  }
  for (const [name, value] of Object.entries(values)) {
    if (!(name in parameters) && !template.Parameters?.[name]) throw new Error(`No parameter ${name}`);
    parameters[name] = String(value);
  }
  const conditions = new Map<string, boolean>();
  const scalar = (expression: unknown): string => {
    if (typeof expression === 'object' && expression !== null && 'Ref' in expression) {
      const name = String((expression as { Ref: unknown }).Ref);
      if (!(name in parameters)) throw new Error(`A condition refers to ${name}, which has no value`);
      return parameters[name]!;
    }
    if (typeof expression === 'object' && expression !== null) {
      throw new Error(`Not a value in a condition: ${JSON.stringify(expression)}`);
    }
    return String(expression);
  };
  const evaluate = (expression: unknown): boolean => {
    const [name, arg] = Object.entries(expression as Record<string, unknown>)[0] ?? [];
    const args = arg as unknown[];
    switch (name) {
      case 'Fn::Equals':
        return scalar(args[0]) === scalar(args[1]);
      case 'Fn::Not':
        return !evaluate(args[0]);
      case 'Fn::And':
        return args.every(evaluate);
      case 'Fn::Or':
        return args.some(evaluate);
      case 'Condition':
        return condition(String(arg));
      default:
        throw new Error(`Not a condition: ${JSON.stringify(expression)}`);
    }
  };
  const condition = (name: string): boolean => {
    const known = conditions.get(name);
    if (known !== undefined) return known;
    const expression = template.Conditions?.[name];
    if (expression === undefined) throw new Error(`No condition ${name}`);
    const value = evaluate(expression);
    conditions.set(name, value);
    return value;
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve).filter((item) => !isNoValue(item));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'Fn::If') {
      const [name, whenTrue, whenFalse] = entries[0]![1] as [string, unknown, unknown];
      return resolve(condition(name) ? whenTrue : whenFalse);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = resolve(item);
      if (!isNoValue(resolved)) out[key] = resolved;
    }
    return out;
  };
  const resources: Record<string, TemplateResource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !condition(resource.Condition)) continue;
    resources[id] = resolve(resource) as TemplateResource;
  }
  const outputs: NonNullable<ParsedTemplate['Outputs']> = {};
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    const { Condition: outputCondition } = output as { Condition?: string };
    if (outputCondition !== undefined && !condition(outputCondition)) continue;
    outputs[id] = resolve(output) as (typeof outputs)[string];
  }
  return { ...template, Resources: resources, Outputs: outputs };
}
