import type { Template } from 'aws-cdk-lib/assertions';
import { KEY_ADMINISTRATION_ACTIONS, TOKEN_ENCRYPTION_CONTEXT_CONDITIONS } from '../../lib/constructs/token-key';
import { synthKeyward } from './synth';
import { resourcesOf, type Statement, statementsOf } from './template-helpers';

const OPERATOR = 'arn:aws:iam::111122223333:role/keyward-operator';
/** The actions that use a key's material: none of them may go to the account root. */
const USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:CreateGrant'];

function keyPolicy(template: Template): Statement[] {
  const [key] = Object.values(resourcesOf(template, 'AWS::KMS::Key'));
  return (key!.Properties!.KeyPolicy as { Statement: (Statement & { Principal: { AWS: unknown } })[] }).Statement;
}

/** Each key policy statement as `<principal>: <actions>`, the principal a role's function name or the ARN. */
function grantsOf(template: Template): Record<string, string[]> {
  const roleToFunction = new Map(
    Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map((fn) => [
      (fn.Properties!.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
      fn.Properties!.FunctionName as string,
    ]),
  );
  return Object.fromEntries(
    keyPolicy(template).map((statement) => {
      const principal = (statement as unknown as { Principal: { AWS: unknown } }).Principal.AWS;
      const role = (principal as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0];
      const name = role ? roleToFunction.get(role)! : JSON.stringify(principal).includes(':root') ? 'account root' : String(principal);
      return [name, [statement.Action].flat().sort()];
    }),
  );
}

let dev: Template;
beforeAll(() => {
  dev = synthKeyward().template;
});

describe('the token key', () => {
  it('has key rotation on and a stage alias', () => {
    dev.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    dev.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/keyward-dev-tokens' });
  });
});

describe('the token key policy', () => {
  it('lets the account administer the key but not use it, only reveal decrypt, only create, rotate and the leak report (which rotates) encrypt', () => {
    expect(grantsOf(dev)).toEqual({
      'account root': [...KEY_ADMINISTRATION_ACTIONS].sort(),
      'keyward-dev-create-api-key': ['kms:Encrypt'],
      'keyward-dev-rotate-api-key': ['kms:Encrypt'],
      'keyward-dev-report-secret-scanning': ['kms:Encrypt'],
      'keyward-dev-reveal-api-key': ['kms:Decrypt'],
    });
    expect(KEY_ADMINISTRATION_ACTIONS).toEqual(
      expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:EnableKeyRotation']),
    );
    expect(KEY_ADMINISTRATION_ACTIONS.filter((action) => USE_ACTIONS.includes(action))).toEqual([]);
  });

  it('requires the token encryption context, organization_id and api_key_id and nothing else, on every use', () => {
    const uses = keyPolicy(dev).filter((statement) => [statement.Action].flat().some((action) => USE_ACTIONS.includes(action)));
    expect(uses).toHaveLength(4);
    for (const statement of uses) {
      expect(statement.Condition).toEqual({
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['organization_id', 'api_key_id'] },
        Null: { 'kms:EncryptionContext:organization_id': 'false', 'kms:EncryptionContext:api_key_id': 'false' },
      });
    }
    for (const name of [
      'keyward-dev-create-api-key',
      'keyward-dev-rotate-api-key',
      'keyward-dev-report-secret-scanning',
      'keyward-dev-reveal-api-key',
    ]) {
      const kms = statementsOf(dev, name).filter((statement) => JSON.stringify(statement.Action).includes('kms:'));
      expect(kms.map((statement) => statement.Condition)).toEqual([TOKEN_ENCRYPTION_CONTEXT_CONDITIONS]);
    }
  });

  it('lets the operator principal of the context encrypt (for the CLI), and nothing more', () => {
    const { template } = synthKeyward({ operatorPrincipalArn: OPERATOR });

    expect(grantsOf(template)[OPERATOR]).toEqual(['kms:Encrypt']);
    const operator = keyPolicy(template).find((statement) => JSON.stringify(statement).includes(OPERATOR))!;
    expect(operator.Condition).toEqual(TOKEN_ENCRYPTION_CONTEXT_CONDITIONS);
  });

  it('refuses an operator principal that is not an IAM role or user ARN', () => {
    expect(() => synthKeyward({ operatorPrincipalArn: 'alice' })).toThrow('invalid context "operatorPrincipalArn"');
  });
});
