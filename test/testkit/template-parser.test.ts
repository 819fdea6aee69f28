import { expect } from 'chai';
import { parseTemplate, resolveTemplate } from '../../testkit/template-parser.js';

const TEMPLATE = `
Parameters:
  Mode: {Type: String, Default: off}
  Size: {Type: Number, Default: 0}
Conditions:
  IsOn: !Equals [!Ref Mode, 'on']
  IsSized: !Not [!Equals [!Ref Size, '0']]
  Both: !And [!Condition IsOn, !Condition IsSized]
  Either: !Or [!Condition IsOn, !Condition IsSized]
Resources:
  Key:
    Type: AWS::KMS::Key
    Condition: IsOn
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !If [IsOn, !GetAtt Key.Arn, !Ref AWS::NoValue]
      Tags:
        - !If [Both, {Key: both, Value: 'yes'}, !Ref AWS::NoValue]
        - !If [Either, {Key: either, Value: 'yes'}, !Ref AWS::NoValue]
        - {Key: name, Value: !Sub '\${AWS::StackName}-q'}
Outputs:
  KeyArn:
    Condition: IsOn
    Value: !GetAtt Key.Arn
`;

describe('testkit/template-parser: resolveTemplate', () => {
  const template = parseTemplate(TEMPLATE);

  it('deploys with the defaults: conditional resources, properties, items and outputs left out', () => {
    const resolved = resolveTemplate(template);
    expect(Object.keys(resolved.Resources)).to.deep.equal(['Queue']);
    expect(resolved.Resources.Queue!.Properties).to.deep.equal({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
      Tags: [{ Key: 'name', Value: { 'Fn::Sub': '${AWS::StackName}-q' } }],
    });
    expect(resolved.Outputs).to.deep.equal({});
  });

  it('takes the branch of each condition for the values given, and keeps other intrinsics', () => {
    const on = resolveTemplate(template, { Mode: 'on' });
    expect(Object.keys(on.Resources)).to.deep.equal(['Key', 'Queue']);
    expect(on.Resources.Queue!.Properties!.KmsMasterKeyId).to.deep.equal({ 'Fn::GetAtt': ['Key', 'Arn'] });
    expect((on.Resources.Queue!.Properties!.Tags as { Key: string }[]).map((t) => t.Key)).to.deep.equal([
      'either',
      'name',
    ]);
    expect(on.Outputs).to.have.keys('KeyArn');
    const both = resolveTemplate(template, { Mode: 'on', Size: 3 });
    expect((both.Resources.Queue!.Properties!.Tags as { Key: string }[]).map((t) => t.Key)).to.deep.equal([
      'both',
      'either',
      'name',
    ]);
  });

  it('refuses a parameter the template does not have, or a condition it cannot evaluate', () => {
    expect(() => resolveTemplate(template, { Nope: 'x' })).to.throw('No parameter Nope');
    const broken = parseTemplate(
      `${TEMPLATE.replace("!Equals [!Ref Mode, 'on']", '!Equals [!Ref Missing, on]')}`,
    );
    expect(() => resolveTemplate(broken)).to.throw('refers to Missing');
  });
});
