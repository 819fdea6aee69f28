import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { expect } from 'chai';
import { CLOCK_SKEW_MS } from '../../src/core/clock.js';
import {
  DEFAULT_PARAMETERS,
  INTEGER_RULES,
  PARAMETER_NAMES,
  PARAMETERS,
  type ParameterDefinition,
  parameterNames,
} from '../../src/core/parameters.js';
import { logGroupOf } from '../../src/targets/aws/function-logs.js';
import {
  AGGREGATE_ATTRIBUTES,
  EVENT_ATTRIBUTES,
  EVENT_SHARDS,
  partitionKey,
  SECONDS_PARTITION_SUFFIX,
  secondRecordKey,
} from '../../src/targets/aws/keys.js';
import { CODE_PLACEHOLDERS, loadTemplate } from '../../src/targets/aws/template.js';
import {
  type ParsedTemplate,
  parseTemplate,
  resolveTemplate,
  type TemplateResource,
} from '../../testkit/template-parser.js';

/** The published CloudFormation resource schemas, as far as these checks read them. */
interface SpecType {
  type: string;
  allowedValues?: (string | number)[];
  element?: SpecType;
  types?: SpecType[];
  reference?: { $ref: string };
}
interface SpecProperty {
  type: SpecType;
  required?: boolean;
}
interface SpecResource {
  properties: Record<string, SpecProperty>;
  attributes: Record<string, unknown>;
}
type SpecDb = ReturnType<typeof loadAwsServiceSpecSync>;

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);

type Json = Record<string, unknown>;

/** Where the template names the customer-managed key: the stack's own, or the one KmsKey names. */
const KEY = { 'Fn::If': ['KmsKeyIsCreated', { 'Fn::GetAtt': ['EncryptionKey', 'Arn'] }, { Ref: 'KmsKey' }] };
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref: x }` or `{ 'Fn::Name': x }`: the one key and its argument, or undefined. */
function intrinsicOf(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? [key, value[key]] : undefined;
}

/** Every value in a tree, with its path. */
function* walk(value: unknown, path: string): Generator<[unknown, string]> {
  yield [value, path];
  if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* walk(item, `${path}[${i}]`);
  else if (isObject(value))
    for (const [key, item] of Object.entries(value)) yield* walk(item, `${path}.${key}`);
}

/** The names a `Fn::Sub` string refers to: `${Name}` and `${Name.Attribute}`, not the literal `${!Text}`. */
function subNames(text: string): string[] {
  return [...text.matchAll(/\$\{([^}!][^}]*)\}/g)].map((m) => m[1]!.trim());
}

/** The logical ids of this template's resources a value refers to (Ref, GetAtt, Sub). */
function referencedResources(value: unknown, template: ParsedTemplate): string[] {
  const ids: string[] = [];
  for (const [node] of walk(value, '')) {
    const fn = intrinsicOf(node);
    if (!fn) continue;
    const [name, arg] = fn;
    if (name === 'Ref' && typeof arg === 'string') ids.push(arg);
    if (name === 'Fn::GetAtt' && Array.isArray(arg)) ids.push(String(arg[0]));
    if (name === 'Fn::Sub') {
      const text = Array.isArray(arg) ? arg[0] : arg;
      if (typeof text === 'string') ids.push(...subNames(text).map((n) => n.split('.')[0]!));
    }
  }
  return ids.filter((id) => id in template.Resources);
}

/** The names one intrinsic refers to (Ref, GetAtt, Sub), resources and parameters alike. */
function referencedIds(node: unknown): string[] {
  const fn = intrinsicOf(node);
  if (!fn) return [];
  const [name, arg] = fn;
  if (name === 'Ref' && typeof arg === 'string') return [arg];
  if (name === 'Fn::GetAtt' && Array.isArray(arg)) return [String(arg[0])];
  if (name === 'Fn::Sub') {
    const [text, variables] = Array.isArray(arg) ? [arg[0], arg[1] as Json] : [arg, {}];
    return subNames(String(text))
      .map((n) => n.split('.')[0]!)
      .filter((n) => !(n in variables));
  }
  return [];
}

function resourcesOfType(template: ParsedTemplate, type: string): [string, TemplateResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function props(template: ParsedTemplate, id: string): Json {
  const resource = template.Resources[id];
  expect(resource, `resource ${id}`).to.not.equal(undefined);
  return resource!.Properties ?? {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

interface FoundStatement {
  id: string;
  trust: boolean;
  /** A KMS key's policy: its Resource "*" is the key itself. */
  keyPolicy: boolean;
  statement: Statement;
}

/**
 * Every policy statement of the template, with where it is and whether it is a trust policy or a
 * key policy. A statement under `Fn::If` counts with each branch that is one (not AWS::NoValue).
 */
function statements(template: ParsedTemplate): FoundStatement[] {
  const out: FoundStatement[] = [];
  const add = (id: string, trust: boolean, document: unknown, keyPolicy = false) => {
    expect(isObject(document), `${id}: a policy document is an object`).to.equal(true);
    for (const entry of asArray((document as Json).Statement)) {
      const fn = intrinsicOf(entry);
      const branches = fn?.[0] === 'Fn::If' ? (fn[1] as unknown[]).slice(1) : [entry];
      for (const statement of branches) {
        if (intrinsicOf(statement)?.[1] === 'AWS::NoValue') continue;
        out.push({ id, trust, keyPolicy, statement: statement as Statement });
      }
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Role') {
      add(id, true, p.AssumeRolePolicyDocument);
      for (const policy of asArray(p.Policies ?? [])) add(id, false, (policy as Json).PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      add(id, false, p.PolicyDocument);
    }
    if (resource.Type === 'AWS::SQS::QueuePolicy') add(id, false, p.PolicyDocument);
    if (resource.Type === 'AWS::KMS::Key') add(id, false, p.KeyPolicy, true);
  }
  return out;
}

/**
 * KMS's default key policy statement: the account (its root principal) may do anything with the
 * key, which means that IAM policies in the account decide who does what; without it, nobody could
 * administer the key but through its policy. The only action wildcard allowed.
 */
function isAccountKeyAdministration({ keyPolicy, statement }: FoundStatement): boolean {
  const principal = isObject(statement.Principal) ? statement.Principal : {};
  return (
    keyPolicy &&
    statement.Effect === 'Allow' &&
    statement.Action === 'kms:*' &&
    statement.Resource === '*' &&
    statement.Condition === undefined &&
    Object.keys(principal).length === 1 &&
    JSON.stringify(principal.AWS) ===
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
      JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' })
  );
}

/** The standard deny of any request not sent over TLS: the one statement allowed a wildcard. */
function isTlsDeny(statement: Statement): boolean {
  const bool = isObject(statement.Condition) ? statement.Condition.Bool : undefined;
  return (
    statement.Effect === 'Deny' &&
    statement.Principal === '*' &&
    statement.Action === 'sqs:*' &&
    isObject(bool) &&
    Object.keys(statement.Condition as Json).length === 1 &&
    Object.keys(bool).length === 1 &&
    String(bool['aws:SecureTransport']) === 'false'
  );
}

function hasWildcard(value: unknown): boolean {
  for (const [node] of walk(value, '')) if (typeof node === 'string' && node.includes('*')) return true;
  return false;
}

/** Schema errors of `value` against a property type; intrinsic functions are taken as the right type. */
function typeErrors(
  db: SpecDb,
  template: ParsedTemplate,
  type: SpecType,
  value: unknown,
  path: string,
): string[] {
  const fn = intrinsicOf(value);
  if (fn) {
    const [name, arg] = fn;
    if (name === 'Fn::If' && Array.isArray(arg) && arg.length === 3) {
      return [arg[1], arg[2]].flatMap((branch, i) =>
        intrinsicOf(branch)?.[1] === 'AWS::NoValue'
          ? []
          : typeErrors(db, template, type, branch, `${path}<If ${i}>`),
      );
    }
    if (name === 'Ref' && typeof arg === 'string' && (type.type === 'integer' || type.type === 'number')) {
      const parameter = template.Parameters?.[arg];
      if (parameter && parameter.Type !== 'Number') return [`${path}: Ref ${arg} is not a Number parameter`];
    }
    return [];
  }
  const bad = (what: string) => [`${path}: expected ${what}, got ${JSON.stringify(value)}`];
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (!['string', 'number', 'boolean'].includes(typeof value)) return bad('a string');
      if (type.allowedValues && !type.allowedValues.includes(String(value))) {
        return bad(`one of ${type.allowedValues.join(', ')}`);
      }
      return [];
    case 'integer':
      if (!Number.isInteger(typeof value === 'string' ? Number(value) : value)) return bad('an integer');
      if (type.allowedValues && !type.allowedValues.includes(Number(value))) {
        return bad(`one of ${type.allowedValues.join(', ')}`);
      }
      return [];
    case 'number':
      return Number.isFinite(typeof value === 'string' ? Number(value) : value) ? [] : bad('a number');
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : bad('a boolean');
    case 'json':
      return isObject(value) || Array.isArray(value) || typeof value === 'string' ? [] : bad('JSON');
    case 'tag':
      return isObject(value) && 'Key' in value && 'Value' in value ? [] : bad('a tag');
    case 'array':
      if (!Array.isArray(value)) return bad('a list');
      return value.flatMap((item, i) => typeErrors(db, template, type.element!, item, `${path}[${i}]`));
    case 'map':
      if (!isObject(value)) return bad('a map');
      return Object.entries(value).flatMap(([k, v]) =>
        typeErrors(db, template, type.element!, v, `${path}.${k}`),
      );
    case 'union': {
      const each = type.types!.map((t) => typeErrors(db, template, t, value, path));
      return each.some((errors) => errors.length === 0) ? [] : each.flat();
    }
    case 'ref': {
      if (!isObject(value)) return bad('an object');
      const definition = db.get('typeDefinition', type.reference!.$ref) as unknown as {
        properties: Record<string, SpecProperty>;
      };
      return propertiesErrors(db, template, definition.properties, value, path);
    }
    default:
      return [`${path}: unknown schema type ${type.type}`];
  }
}

function propertiesErrors(
  db: SpecDb,
  template: ParsedTemplate,
  schema: Record<string, SpecProperty>,
  value: Json,
  path: string,
): string[] {
  const errors: string[] = [];
  for (const [name, property] of Object.entries(schema)) {
    if (property.required && !(name in value)) errors.push(`${path}: required property ${name} is missing`);
  }
  for (const [name, item] of Object.entries(value)) {
    const property = schema[name];
    if (!property) errors.push(`${path}: unknown property ${name}`);
    else errors.push(...typeErrors(db, template, property.type, item, `${path}.${name}`));
  }
  return errors;
}

describe('templates/pipeline.yaml', () => {
  let template: ParsedTemplate;
  let db: SpecDb;

  before(() => {
    template = parseTemplate(loadTemplate());
    db = loadAwsServiceSpecSync();
  });

  function spec(type: string): SpecResource {
    const found = db.lookup('resource', 'cloudFormationType', 'equals', type);
    expect(found, `${type} is a published resource type`).to.have.length(1);
    return found[0] as unknown as SpecResource;
  }

  describe('structure', () => {
    it('has the template format version, resources and outputs', () => {
      expect(template.AWSTemplateFormatVersion).to.equal('2010-09-09');
      expect(Object.keys(template.Resources)).to.have.length.greaterThan(0);
      expect(Object.keys(template).sort()).to.deep.equal(
        [
          'AWSTemplateFormatVersion',
          'Conditions',
          'Description',
          'Outputs',
          'Parameters',
          'Resources',
        ].sort(),
      );
    });

    it('resolves every Ref, GetAtt, Sub name, Condition and DependsOn', () => {
      const parameters = new Set(Object.keys(template.Parameters ?? {}));
      const resources = new Set(Object.keys(template.Resources));
      const conditions = new Set(Object.keys(template.Conditions ?? {}));
      const problems: string[] = [];
      const known = (name: string) =>
        parameters.has(name) || resources.has(name) || PSEUDO_PARAMETERS.has(name);
      const sections = {
        Conditions: template.Conditions,
        Resources: template.Resources,
        Outputs: template.Outputs,
      };
      let seen = 0;
      for (const [node, path] of walk(sections, '')) {
        const fn = intrinsicOf(node);
        if (!fn) continue;
        seen++;
        const [name, arg] = fn;
        if (name === 'Ref' && !known(String(arg))) problems.push(`${path}: Ref ${String(arg)}`);
        if (name === 'Fn::GetAtt') {
          const [id, attribute] = arg as [string, string];
          const target = template.Resources[id];
          if (!target) problems.push(`${path}: GetAtt ${id}`);
          else if (!(attribute in spec(target.Type).attributes)) {
            problems.push(`${path}: ${target.Type} has no attribute ${attribute}`);
          }
        }
        if (name === 'Fn::Sub') {
          const [text, variables] = Array.isArray(arg) ? [arg[0], arg[1] as Json] : [arg, {}];
          for (const ref of subNames(String(text))) {
            const [id, attribute] = [ref.split('.')[0]!, ref.split('.').slice(1).join('.')];
            if (id in variables) continue;
            if (!known(id)) problems.push(`${path}: Sub \${${ref}}`);
            else if (attribute && !(attribute in spec(template.Resources[id]!.Type).attributes)) {
              problems.push(`${path}: Sub \${${ref}} names an unknown attribute`);
            }
          }
        }
        if (name === 'Fn::If' && !conditions.has(String((arg as unknown[])[0]))) {
          problems.push(`${path}: If ${String((arg as unknown[])[0])}`);
        }
        if (name === 'Condition' && !conditions.has(String(arg))) problems.push(`${path}: Condition ${arg}`);
      }
      for (const [id, resource] of Object.entries(template.Resources)) {
        for (const dependency of asArray(resource.DependsOn ?? [])) {
          if (!resources.has(String(dependency))) problems.push(`${id}: DependsOn ${String(dependency)}`);
        }
        if (resource.Condition !== undefined && !conditions.has(resource.Condition)) {
          problems.push(`${id}: Condition ${resource.Condition}`);
        }
      }
      expect(problems).to.deep.equal([]);
      expect(seen).to.be.greaterThan(20);
    });

    it('uses every parameter and every condition', () => {
      const text = JSON.stringify({ Resources: template.Resources, Outputs: template.Outputs });
      const conditions = JSON.stringify(template.Conditions);
      for (const name of Object.keys(template.Parameters ?? {})) {
        expect(`${text}${conditions}`, name).to.include(`{"Ref":"${name}"}`);
      }
      for (const name of Object.keys(template.Conditions ?? {})) expect(text, name).to.include(`"${name}"`);
    });
  });

  describe('resources against the published CloudFormation schemas', () => {
    it('has only known resource attributes and properties of the right types, with the required ones', () => {
      const problems: string[] = [];
      for (const [id, resource] of Object.entries(template.Resources)) {
        for (const key of Object.keys(resource)) {
          if (!RESOURCE_ATTRIBUTES.has(key)) problems.push(`${id}: unknown resource attribute ${key}`);
        }
        for (const policy of [resource.DeletionPolicy, resource.UpdateReplacePolicy]) {
          if (
            policy !== undefined &&
            !['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(policy)
          ) {
            problems.push(`${id}: policy ${policy}`);
          }
        }
        const schema = spec(resource.Type);
        problems.push(...propertiesErrors(db, template, schema.properties, resource.Properties ?? {}, id));
      }
      expect(problems).to.deep.equal([]);
    });

    it('catches what it should: an unknown property, a missing required one, a wrong type', () => {
      const schema = spec('AWS::Lambda::Function').properties;
      const errors = propertiesErrors(db, template, schema, { Timeout: 'soon', Handlr: 'x', Role: 'r' }, 'F');
      expect(errors.join('\n')).to.include('required property Code').and.include('unknown property Handlr');
      expect(errors.join('\n')).to.include('F.Timeout: expected an integer');
      const rule = spec('AWS::Events::Rule').properties;
      expect(propertiesErrors(db, template, rule, { State: 'ON' }, 'R').join()).to.include('one of');
    });
  });

  describe('parameters', () => {
    it('are the core parameters, with the same defaults, plus the AWS-only ones', () => {
      const parameters = template.Parameters!;
      const awsOnly = parameterNames('aws').filter((name) => !(name in DEFAULT_PARAMETERS));
      expect(awsOnly).to.deep.equal([
        'LambdaRuntime',
        'LogRetentionDays',
        'StoringMaximumConcurrency',
        'AggregationReservedConcurrency',
        'AggregationMemorySize',
        'PointInTimeRecovery',
        'KmsKey',
      ]);
      expect(Object.keys(parameters).sort()).to.deep.equal(
        [...Object.keys(DEFAULT_PARAMETERS), ...awsOnly].sort(),
      );
      for (const [name, value] of Object.entries(DEFAULT_PARAMETERS)) {
        const parameter = parameters[name]!;
        if (typeof value === 'number') {
          expect(parameter.Type, name).to.equal('Number');
          expect(parameter.Default, name).to.equal(value);
        } else {
          expect(parameter.Type, name).to.equal('String');
          expect(parameter.Default, name).to.equal(String(value));
        }
      }
      expect(parameters.ScheduleEnabled!.AllowedValues).to.deep.equal(['true', 'false']);
    });

    it('are made from the one parameter table: type, default, bounds, allowed values, description', () => {
      for (const name of PARAMETER_NAMES) {
        const d: ParameterDefinition = PARAMETERS[name];
        const p = template.Parameters![name]!;
        expect(p.Type, name).to.equal(d.type === 'integer' ? 'Number' : 'String');
        expect(p.Default, name).to.equal(d.type === 'boolean' ? String(d.default) : d.default);
        expect(String(p.Description).toLowerCase(), name).to.include(d.description.toLowerCase());
        if (d.type === 'integer') expect([p.MinValue, p.MaxValue], name).to.deep.equal([d.min, d.max]);
        if (d.type !== 'boolean') expect(p.AllowedValues, name).to.deep.equal(d.allowed);
        if (d.type === 'text') expect(p.AllowedPattern, name).to.equal(d.pattern?.regex.source);
      }
    });

    it("keep today's stacks as they are: AWS-owned keys, no point-in-time recovery, no reserved concurrency", () => {
      expect(template.Parameters!.KmsKey).to.include({ Type: 'String', Default: '' });
      expect(template.Parameters!.PointInTimeRecovery).to.include({ Default: 'false' });
      expect(template.Parameters!.AggregationReservedConcurrency).to.include({ Default: 0 });
      expect(template.Parameters!.StoringMaximumConcurrency).to.include({ Default: 5, MinValue: 2 });
    });

    it('bound the integers as the core does', () => {
      for (const [name, rule] of Object.entries(INTEGER_RULES)) {
        expect(template.Parameters![name]!.MinValue, `${name} MinValue`).to.equal(rule.min);
        expect(template.Parameters![name]!.MaxValue, `${name} MaxValue`).to.equal(rule.max);
      }
    });

    it('offer the Node.js runtimes and the log retentions CloudWatch Logs accepts', () => {
      const runtime = template.Parameters!.LambdaRuntime!;
      expect(runtime).to.include({ Type: 'String', Default: 'nodejs24.x' });
      expect(runtime.AllowedValues).to.deep.equal(['nodejs24.x', 'nodejs22.x']);
      const retention = template.Parameters!.LogRetentionDays!;
      expect(retention).to.include({ Type: 'Number', Default: 14 });
      expect(retention.AllowedValues).to.deep.equal(
        spec('AWS::Logs::LogGroup').properties.RetentionInDays!.type.allowedValues,
      );
    });
  });

  describe('IAM', () => {
    it('has no wildcard action, resource or principal but in the TLS deny of the queue policies and a key policy', () => {
      const all = statements(template);
      expect(all.length).to.be.greaterThan(5);
      const tlsDenies = all.filter(({ statement }) => isTlsDeny(statement));
      expect(tlsDenies.map(({ id }) => id).sort()).to.deep.equal(['DeadLetterQueuePolicy', 'QueuePolicy']);
      const administration = all.filter(isAccountKeyAdministration);
      expect(administration.map(({ id }) => id)).to.deep.equal(['EncryptionKey']);
      for (const found of all) {
        const { id, statement, keyPolicy } = found;
        const { Condition: _condition, ...rest } = statement;
        let checked: Partial<Statement> = isTlsDeny(statement) ? { Resource: rest.Resource } : rest;
        // In a key policy, Resource "*" is the key the policy belongs to, and nothing else.
        if (keyPolicy) checked = isAccountKeyAdministration(found) ? {} : { ...checked, Resource: undefined };
        expect(hasWildcard(checked), `${id} ${JSON.stringify(statement)}`).to.equal(false);
        expect(statement.NotAction, id).to.equal(undefined);
        expect(statement.NotResource, id).to.equal(undefined);
        expect(statement.NotPrincipal, id).to.equal(undefined);
      }
    });

    it('tells a TLS deny from a wildcard grant', () => {
      const deny = {
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      };
      expect(isTlsDeny(deny)).to.equal(true);
      expect(isTlsDeny({ ...deny, Effect: 'Allow' })).to.equal(false);
      expect(isTlsDeny({ ...deny, Action: '*' })).to.equal(false);
      expect(isTlsDeny({ ...deny, Condition: { Bool: { 'aws:SecureTransport': 'true' } } })).to.equal(false);
      expect(isTlsDeny({ ...deny, Condition: undefined })).to.equal(false);
      const administration = {
        id: 'K',
        trust: false,
        keyPolicy: true,
        statement: {
          Effect: 'Allow',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
          Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
          Action: 'kms:*',
          Resource: '*',
        },
      };
      expect(isAccountKeyAdministration(administration)).to.equal(true);
      expect(isAccountKeyAdministration({ ...administration, keyPolicy: false })).to.equal(false);
      for (const other of [{ Principal: '*' }, { Principal: { AWS: '*' } }, { Action: '*' }]) {
        const statement = { ...administration.statement, ...other };
        expect(isAccountKeyAdministration({ ...administration, statement }), JSON.stringify(other)).to.equal(
          false,
        );
      }
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
      expect(hasWildcard({ Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/*' } })).to.equal(true);
    });

    it('grants only on resources of this stack (or the key KmsKey names)', () => {
      for (const { id, trust, keyPolicy, statement } of statements(template)) {
        if (trust || keyPolicy || statement.Effect !== 'Allow') continue;
        const resources = asArray(statement.Resource);
        expect(resources.length, id).to.be.greaterThan(0);
        for (const resource of resources) {
          expect(
            typeof resource,
            `${id}: ${JSON.stringify(resource)} is a reference, not a literal`,
          ).to.equal('object');
          expect(
            referencedResources(resource, template),
            `${id}: ${JSON.stringify(resource)}`,
          ).to.have.length(1);
        }
      }
    });

    it('lets only Lambda assume the roles, which carry no managed policies', () => {
      const roles = resourcesOfType(template, 'AWS::IAM::Role');
      expect(roles.map(([id]) => id).sort()).to.deep.equal(['AggregationRole', 'StoringRole']);
      for (const { id, statement } of statements(template).filter((s) => s.trust)) {
        expect(statement, id).to.deep.equal({
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        });
      }
      for (const [id, role] of roles) expect(role.Properties!.ManagedPolicyArns, id).to.equal(undefined);
    });

    /** Actions granted by a role, by the logical id of the resource they are granted on. */
    function grants(roleId: string): Record<string, string[]> {
      const out: Record<string, string[]> = {};
      for (const { id, trust, statement } of statements(template)) {
        if (id !== roleId || trust) continue;
        expect(statement.Effect).to.equal('Allow');
        // The key the stack creates, or the one KmsKey names (the grant exists only with a key).
        if (JSON.stringify(statement.Resource) === JSON.stringify(KEY)) {
          out.KmsKey = [...(out.KmsKey ?? []), ...asArray(statement.Action).map(String)].sort();
          continue;
        }
        for (const resource of asArray(statement.Resource)) {
          const [target] = referencedResources(resource, template);
          out[target!] = [...(out[target!] ?? []), ...asArray(statement.Action).map(String)].sort();
        }
      }
      return out;
    }

    it('lets the storing function consume the queue, write events and its own logs: nothing more', () => {
      expect(grants('StoringRole')).to.deep.equal({
        Queue: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ],
        EventsTable: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        StoringLogGroup: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        KmsKey: ['kms:Decrypt'],
      });
    });

    it('lets the aggregation function query events, read and write aggregates and its own logs: nothing more', () => {
      expect(grants('AggregationRole')).to.deep.equal({
        EventsTable: ['dynamodb:PutItem', 'dynamodb:Query'],
        AggregatesTable: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        AggregationLogGroup: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        AggregationFailureQueue: ['sqs:SendMessage'],
        KmsKey: ['kms:Decrypt', 'kms:GenerateDataKey'],
      });
    });

    it('lets the aggregation write the events table only under the per-second partitions, never a raw event', () => {
      const writes = statements(template).filter(
        ({ id, statement }) =>
          id === 'AggregationRole' &&
          asArray(statement.Action).includes('dynamodb:PutItem') &&
          JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': ['EventsTable', 'Arn'] }),
      );
      expect(writes).to.have.length(1);
      expect(writes[0]!.statement.Action).to.equal('dynamodb:PutItem');
      expect(writes[0]!.statement.Condition).to.deep.equal({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`*${SECONDS_PARTITION_SUFFIX}`] },
      });
      // The pattern matches the records' partitions and none of the raw events'.
      const like = (key: string) => key.endsWith(SECONDS_PARTITION_SUFFIX);
      expect(like(secondRecordKey(1_735_732_830, 'counts').pk)).to.equal(true);
      for (let shard = 0; shard < EVENT_SHARDS; shard++)
        expect(like(partitionKey(28_928_880, shard))).to.equal(false);
    });

    it('uses a customer-managed key only through SQS and DynamoDB, and only when KmsKey names one', () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings
      const services = ['sqs.${AWS::Region}.amazonaws.com', 'dynamodb.${AWS::Region}.amazonaws.com'];
      const keyStatements = (t: ParsedTemplate) =>
        statements(t).filter(({ statement }) =>
          asArray(statement.Action).some((a) => String(a).startsWith('kms:')),
        );
      for (const { statement } of keyStatements(template).filter((s) => !s.keyPolicy)) {
        expect(statement.Condition).to.deep.equal({
          StringEquals: { 'kms:ViaService': services.map((text) => ({ 'Fn::Sub': text })) },
        });
      }
      expect(keyStatements(resolveTemplate(template))).to.deep.equal([]);
      const created = keyStatements(resolveTemplate(template, { KmsKey: 'create' }));
      expect(created.map((s) => [s.id, s.statement.Resource])).to.deep.include.members([
        ['StoringRole', { 'Fn::GetAtt': ['EncryptionKey', 'Arn'] }],
        ['AggregationRole', { 'Fn::GetAtt': ['EncryptionKey', 'Arn'] }],
      ]);
      const named = keyStatements(resolveTemplate(template, { KmsKey: KEY_ARN }));
      expect(named.map((s) => [s.id, s.statement.Resource])).to.deep.equal([
        ['StoringRole', { Ref: 'KmsKey' }],
        ['AggregationRole', { Ref: 'KmsKey' }],
      ]);
    });

    it('gives each function its own role', () => {
      expect(props(template, 'StoringFunction').Role).to.deep.equal({ 'Fn::GetAtt': ['StoringRole', 'Arn'] });
      expect(props(template, 'AggregationFunction').Role).to.deep.equal({
        'Fn::GetAtt': ['AggregationRole', 'Arn'],
      });
    });
  });

  describe('queues', () => {
    it('are encrypted, deleted with the stack, and deny requests not sent over TLS', () => {
      const queues = resourcesOfType(template, 'AWS::SQS::Queue');
      expect(queues.map(([id]) => id).sort()).to.deep.equal([
        'AggregationFailureQueue',
        'DeadLetterQueue',
        'Queue',
      ]);
      const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
      const defaults = resolveTemplate(template);
      const created = resolveTemplate(template, { KmsKey: 'create' });
      const named = resolveTemplate(template, { KmsKey: KEY_ARN });
      for (const [id, queue] of queues) {
        // SQS-managed keys by default; the customer-managed key when KmsKey names one.
        expect(defaults.Resources[id]!.Properties, id).to.deep.include({ SqsManagedSseEnabled: true });
        expect(defaults.Resources[id]!.Properties, id).to.not.have.property('KmsMasterKeyId');
        expect(created.Resources[id]!.Properties, id).to.deep.include({
          SqsManagedSseEnabled: false,
          KmsMasterKeyId: { 'Fn::GetAtt': ['EncryptionKey', 'Arn'] },
        });
        expect(named.Resources[id]!.Properties, id).to.deep.include({
          SqsManagedSseEnabled: false,
          KmsMasterKeyId: { Ref: 'KmsKey' },
        });
        expect(queue.DeletionPolicy, id).to.equal('Delete');
        const own = policies.filter(([, p]) =>
          asArray(p.Properties!.Queues).some((q) => JSON.stringify(q) === JSON.stringify({ Ref: id })),
        );
        expect(own, `${id} has a queue policy`).to.have.length(1);
        const document = own[0]![1].Properties!.PolicyDocument as Json;
        const denies = asArray(document.Statement).filter((s) => isTlsDeny(s as Statement)) as Statement[];
        expect(denies, `${id} denies insecure transport`).to.have.length(1);
        expect(asArray(denies[0]!.Resource), id).to.deep.include({ 'Fn::GetAtt': [id, 'Arn'] });
        // A policy's deny covers the queues it is applied to, and only those.
        expect(asArray(denies[0]!.Resource)).to.have.length(asArray(own[0]![1].Properties!.Queues).length);
      }
    });

    it('dead-letters after MaxReceiveCount receives and takes its timeouts from the parameters', () => {
      expect(props(template, 'Queue')).to.deep.include({
        VisibilityTimeout: { Ref: 'VisibilityTimeoutSeconds' },
        MessageRetentionPeriod: { Ref: 'MessageRetentionSeconds' },
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
          maxReceiveCount: { Ref: 'MaxReceiveCount' },
        },
      });
      expect(props(template, 'DeadLetterQueue').MessageRetentionPeriod).to.equal(1_209_600);
    });
  });

  describe('tables', () => {
    it('keep raw events on demand under pk/sk with a TTL on expiresAt', () => {
      expect(template.Resources.EventsTable!.DeletionPolicy).to.equal('Delete');
      expect(props(resolveTemplate(template), 'EventsTable')).to.deep.equal({
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: EVENT_ATTRIBUTES.pk, AttributeType: 'S' },
          { AttributeName: EVENT_ATTRIBUTES.sk, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: EVENT_ATTRIBUTES.pk, KeyType: 'HASH' },
          { AttributeName: EVENT_ATTRIBUTES.sk, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: EVENT_ATTRIBUTES.expiresAt, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
    });

    it('keep snapshots on demand by name', () => {
      expect(template.Resources.AggregatesTable!.DeletionPolicy).to.equal('Delete');
      expect(props(resolveTemplate(template), 'AggregatesTable')).to.deep.equal({
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: AGGREGATE_ATTRIBUTES.name, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: AGGREGATE_ATTRIBUTES.name, KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
    });

    it('keep 35 days of point-in-time recovery, both of them, with PointInTimeRecovery', () => {
      const on = resolveTemplate(template, { PointInTimeRecovery: 'true' });
      for (const id of ['EventsTable', 'AggregatesTable']) {
        expect(props(on, id).PointInTimeRecoverySpecification, id).to.deep.equal({
          PointInTimeRecoveryEnabled: true,
        });
      }
    });

    it('are encrypted with AWS-owned keys by default, and with the customer-managed key when KmsKey names one', () => {
      for (const id of ['EventsTable', 'AggregatesTable']) {
        expect(props(resolveTemplate(template), id), id).to.not.have.property('SSESpecification');
        for (const [value, key] of [
          ['create', { 'Fn::GetAtt': ['EncryptionKey', 'Arn'] }],
          [KEY_ARN, { Ref: 'KmsKey' }],
        ] as const) {
          expect(props(resolveTemplate(template, { KmsKey: value }), id).SSESpecification, id).to.deep.equal({
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: key,
          });
        }
      }
    });

    it('leave nothing behind: every stateful resource is deleted with the stack', () => {
      const stateful = ['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::KMS::Key'];
      let seen = 0;
      for (const [id, resource] of Object.entries(template.Resources)) {
        if (stateful.includes(resource.Type)) {
          seen++;
          expect(resource.DeletionPolicy, id).to.equal('Delete');
          expect(resource.UpdateReplacePolicy, id).to.equal('Delete');
        }
      }
      expect(seen).to.equal(8);
      // KMS waits at least 7 days before it deletes a key; the stack's key waits no longer.
      expect(props(template, 'EncryptionKey').PendingWindowInDays).to.equal(7);
    });
  });

  describe('functions', () => {
    const functions = [
      {
        id: 'StoringFunction',
        suffix: 'storing',
        logGroup: 'StoringLogGroup',
        placeholder: CODE_PLACEHOLDERS.storing,
        environment: { EVENTS_TABLE: { Ref: 'EventsTable' }, EVENT_TTL_MINUTES: { Ref: 'EventTtlMinutes' } },
      },
      {
        id: 'AggregationFunction',
        suffix: 'aggregation',
        logGroup: 'AggregationLogGroup',
        placeholder: CODE_PLACEHOLDERS.aggregation,
        environment: {
          EVENTS_TABLE: { Ref: 'EventsTable' },
          AGGREGATES_TABLE: { Ref: 'AggregatesTable' },
          WINDOW_MINUTES: { Ref: 'WindowMinutes' },
        },
      },
    ];

    it('are the two functions, with inline code placeholders, the chosen runtime and only the environment they need', () => {
      expect(resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id)).to.have.members(
        functions.map((f) => f.id),
      );
      for (const f of functions) {
        const p = props(template, f.id);
        expect(p.Code, f.id).to.deep.equal({ ZipFile: f.placeholder });
        expect(p.Handler, f.id).to.equal('index.handler');
        expect(p.Runtime, f.id).to.deep.equal({ Ref: 'LambdaRuntime' });
        expect(p.FunctionName, f.id).to.deep.equal({ 'Fn::Sub': `\${AWS::StackName}-${f.suffix}` });
        expect(p.Environment, f.id).to.deep.equal({ Variables: f.environment });
      }
      expect(props(template, 'StoringFunction').Timeout).to.deep.equal({ Ref: 'StoringTimeoutSeconds' });
      expect(props(template, 'AggregationFunction').MemorySize).to.deep.equal({
        Ref: 'AggregationMemorySize',
      });
    });

    it('time the aggregation out within the clock skew, so a late run never replaces a newer snapshot', () => {
      // A snapshot more than CLOCK_SKEW_MS after a new one is taken for a clock error and replaced
      // (core/snapshot.ts replacesSnapshot): no run may last longer than that.
      const timeout = props(template, 'AggregationFunction').Timeout;
      expect(timeout).to.be.a('number');
      expect((timeout as number) * 1000).to.be.at.most(CLOCK_SKEW_MS);
    });

    it('log to their own log group, created first, kept LogRetentionDays and deleted with the stack', () => {
      expect(resourcesOfType(template, 'AWS::Logs::LogGroup').map(([id]) => id)).to.have.members(
        functions.map((f) => f.logGroup),
      );
      for (const f of functions) {
        const group = template.Resources[f.logGroup]!;
        expect(group.DeletionPolicy, f.logGroup).to.equal('Delete');
        expect(resolveTemplate(template).Resources[f.logGroup]!.Properties).to.deep.equal({
          LogGroupName: { 'Fn::Sub': `/aws/lambda/\${AWS::StackName}-${f.suffix}` },
          RetentionInDays: { Ref: 'LogRetentionDays' },
        });
        expect(group.Properties!.KmsKeyId, f.logGroup).to.deep.equal({
          'Fn::If': ['KmsKeyIsCustomerManaged', KEY, { Ref: 'AWS::NoValue' }],
        });
        expect(asArray(template.Resources[f.id]!.DependsOn), f.id).to.include(f.logGroup);
      }
    });

    it('log where `sensorpipe logs` reads: /aws/lambda/<FunctionName>, as no LoggingConfig names another group', () => {
      for (const f of functions) {
        const p = props(template, f.id);
        // A LoggingConfig.LogGroup would send the lines elsewhere: logs (aws/function-logs.ts) must follow it.
        expect(p.LoggingConfig, f.id).to.equal(undefined);
        const functionName = (p.FunctionName as { 'Fn::Sub': string })['Fn::Sub'];
        expect(props(template, f.logGroup).LogGroupName, f.logGroup).to.deep.equal({
          'Fn::Sub': logGroupOf(functionName),
        });
        expect(template.Outputs?.[`${f.id}Name`], f.id).to.deep.equal({ Value: { Ref: f.id } });
      }
    });

    it('store from the queue in batches, reporting failed items', () => {
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).to.have.length(1);
      expect(mappings[0]![1].Properties).to.deep.include({
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        FunctionName: { Ref: 'StoringFunction' },
        BatchSize: { Ref: 'BatchSize' },
        MaximumBatchingWindowInSeconds: { Ref: 'MaximumBatchingWindowInSeconds' },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('aggregate on a schedule that ScheduleEnabled turns on and off, invoked only by that rule', () => {
      expect(template.Conditions).to.deep.include({
        ScheduleIsEnabled: { 'Fn::Equals': [{ Ref: 'ScheduleEnabled' }, 'true'] },
      });
      const rules = resourcesOfType(template, 'AWS::Events::Rule');
      expect(rules).to.have.length(1);
      const [ruleId, rule] = rules[0]!;
      expect(rule.Properties).to.deep.include({
        ScheduleExpression: { Ref: 'ScheduleExpression' },
        State: { 'Fn::If': ['ScheduleIsEnabled', 'ENABLED', 'DISABLED'] },
      });
      const targets = rule.Properties!.Targets as Json[];
      expect(targets.map((t) => t.Arn)).to.deep.equal([{ 'Fn::GetAtt': ['AggregationFunction', 'Arn'] }]);
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission');
      expect(permissions).to.have.length(1);
      expect(permissions[0]![1].Properties).to.deep.equal({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['AggregationFunction', 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      });
    });
  });

  describe('hardening', () => {
    /** The parameter values whose conditions change the resources: each alone, and all of them. */
    const SCENARIOS: Record<string, Record<string, string | number>> = {
      defaults: {},
      'a key of the stack': { KmsKey: 'create' },
      'a key of yours': { KmsKey: KEY_ARN },
      'point-in-time recovery': { PointInTimeRecovery: 'true' },
      'reserved concurrency': { AggregationReservedConcurrency: 1 },
      'no schedule': { ScheduleEnabled: 'false' },
      everything: { KmsKey: 'create', PointInTimeRecovery: 'true', AggregationReservedConcurrency: 1 },
    };

    for (const [name, values] of Object.entries(SCENARIOS)) {
      it(`refers only to resources that exist, with ${name}`, () => {
        const resolved = resolveTemplate(template, values);
        const missing: string[] = [];
        for (const [node, path] of walk({ Resources: resolved.Resources, Outputs: resolved.Outputs }, '')) {
          const fn = intrinsicOf(node);
          if (!fn) continue;
          expect(fn[0], path).to.not.equal('Fn::If');
          for (const id of referencedIds(node)) {
            if (
              !(id in resolved.Resources) &&
              !(id in (template.Parameters ?? {})) &&
              !PSEUDO_PARAMETERS.has(id)
            )
              missing.push(`${path}: ${id}`);
          }
        }
        for (const [id, resource] of Object.entries(resolved.Resources)) {
          for (const dependency of asArray(resource.DependsOn ?? [])) {
            if (!(String(dependency) in resolved.Resources))
              missing.push(`${id}: DependsOn ${String(dependency)}`);
          }
        }
        expect(missing).to.deep.equal([]);
      });
    }

    it('creates a key only for KmsKey "create": rotated yearly, administered through IAM, usable by CloudWatch Logs for the two log groups only', () => {
      expect(resolveTemplate(template).Resources).to.not.have.property('EncryptionKey');
      expect(resolveTemplate(template, { KmsKey: KEY_ARN }).Resources).to.not.have.property('EncryptionKey');
      const key = resolveTemplate(template, { KmsKey: 'create' }).Resources.EncryptionKey!;
      expect(key.Properties).to.deep.include({ EnableKeyRotation: true, PendingWindowInDays: 7 });
      const policy = key.Properties!.KeyPolicy as { Statement: Statement[] };
      expect(policy.Statement).to.have.length(2);
      const logs = policy.Statement[1]!;
      expect(logs.Principal).to.deep.equal({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        Service: { 'Fn::Sub': 'logs.${AWS::Region}.amazonaws.com' },
      });
      expect(logs.Condition).to.deep.equal({
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': ['storing', 'aggregation'].map((suffix) => ({
            'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/\${AWS::StackName}-${suffix}`,
          })),
        },
      });
      for (const [id, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
        const name = (group.Properties!.LogGroupName as { 'Fn::Sub': string })['Fn::Sub'];
        expect(JSON.stringify(logs.Condition), id).to.include(`log-group:${name}`);
      }
    });

    it('keeps the failed runs of the aggregation: two retries, then its failure queue', () => {
      const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
      expect(configs.map(([id]) => id)).to.deep.equal(['AggregationInvokeConfig']);
      expect(configs[0]![1].Properties).to.deep.equal({
        FunctionName: { Ref: 'AggregationFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': ['AggregationFailureQueue', 'Arn'] } },
        },
      });
      expect(props(template, 'AggregationFailureQueue').MessageRetentionPeriod).to.equal(1_209_600);
      expect(template.Outputs!.AggregationFailureQueueUrl!.Value).to.deep.equal({
        Ref: 'AggregationFailureQueue',
      });
    });

    it('reserves concurrency for the aggregation only when AggregationReservedConcurrency is not 0', () => {
      expect(props(resolveTemplate(template), 'AggregationFunction')).to.not.have.property(
        'ReservedConcurrentExecutions',
      );
      const reserved = resolveTemplate(template, { AggregationReservedConcurrency: 1 });
      expect(props(reserved, 'AggregationFunction').ReservedConcurrentExecutions).to.deep.equal({
        Ref: 'AggregationReservedConcurrency',
      });
      expect(props(reserved, 'StoringFunction')).to.not.have.property('ReservedConcurrentExecutions');
    });

    it("caps the storing function's queue trigger at StoringMaximumConcurrency", () => {
      expect(props(template, 'StoringEventSourceMapping').ScalingConfig).to.deep.equal({
        MaximumConcurrency: { Ref: 'StoringMaximumConcurrency' },
      });
    });
  });

  it('outputs what the CLI reads back', () => {
    const outputs = template.Outputs!;
    expect(outputs).to.include.keys(
      'QueueUrl',
      'DeadLetterQueueUrl',
      'EventsTableName',
      'AggregatesTableName',
      'StoringFunctionName',
      'AggregationFunctionName',
    );
    expect(outputs.QueueUrl!.Value).to.deep.equal({ Ref: 'Queue' });
    expect(outputs.DeadLetterQueueUrl!.Value).to.deep.equal({ Ref: 'DeadLetterQueue' });
    expect(outputs.EventsTableName!.Value).to.deep.equal({ Ref: 'EventsTable' });
    expect(outputs.AggregatesTableName!.Value).to.deep.equal({ Ref: 'AggregatesTable' });
    expect(outputs.StoringFunctionName!.Value).to.deep.equal({ Ref: 'StoringFunction' });
    expect(outputs.AggregationFunctionName!.Value).to.deep.equal({ Ref: 'AggregationFunction' });
    expect(outputs.AggregationFailureQueueUrl!.Value).to.deep.equal({ Ref: 'AggregationFailureQueue' });
  });
});
