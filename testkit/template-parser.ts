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
