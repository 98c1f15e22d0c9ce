import { Validations } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synthKeyward } from './synth';
import { resourcesOf } from './template-helpers';

/**
 * The admins' Cognito user pool (lib/constructs/admin-identity.ts): an admin can reveal every key
 * of an organization, so the sign-in must be at least as strong as what it protects.
 */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward({ stage: 'prod', sesSender: 'example.com', consoleUrls: 'https://keys.example.com/console/' }).template;
});

const pool = (template: Template) => {
  const pools = Object.values(resourcesOf(template, 'AWS::Cognito::UserPool'));
  expect(pools).toHaveLength(1);
  return pools[0]!.Properties!;
};
const client = (template: Template, name: string) => {
  const found = Object.values(resourcesOf(template, 'AWS::Cognito::UserPoolClient')).find((c) => c.Properties!.ClientName === name);
  if (!found) throw new Error(`no app client ${name}`);
  return found.Properties!;
};

describe('MFA', () => {
  it('is required with an authenticator app (TOTP, no SMS) outside dev stages, so the hosted UI enrols one at the first sign-in', () => {
    expect(pool(prod)).toMatchObject({ MfaConfiguration: 'ON', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
    expect(pool(synthKeyward({ stage: 'staging' }).template).MfaConfiguration).toBe('ON');
  });

  it('is offered but optional in a dev stage', () => {
    expect(pool(dev)).toMatchObject({ MfaConfiguration: 'OPTIONAL', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
  });

  it("satisfies cdk-nag's AwsSolutions-COG2 outside dev stages rather than excusing it", () => {
    const acknowledgedOnPool = (stage: string) => {
      const { stack } = synthKeyward({ stage });
      const userPool = stack.adminIdentity.userPool!;
      return JSON.stringify(userPool.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
    };
    expect(acknowledgedOnPool('dev')).toContain('AwsSolutions-COG2');
    expect(acknowledgedOnPool('prod')).not.toContain('AwsSolutions-COG2');
    const { app } = synthKeyward({ stage: 'prod' });
    expect(new AwsSolutionsChecks().validateScope(app).violations.filter((v) => v.ruleName === 'AwsSolutions-COG2')).toEqual([]);
  });
});

describe('app clients', () => {
  it("gives the console's client no password flow of the API: the hosted UI with code + PKCE, and refresh", () => {
    for (const template of [dev, prod]) {
      const console = client(template, template === dev ? 'keyward-dev-management' : 'keyward-prod-management');
      expect(console.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
      expect(console.AllowedOAuthFlows).toEqual(['code']);
      expect(console.GenerateSecret).toBe(false);
    }
  });

  it('signs scripts in through a separate client with SRP only, no OAuth and no secret', () => {
    const scripts = client(prod, 'keyward-prod-scripts');
    expect(scripts.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(scripts.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(scripts).not.toHaveProperty('AllowedOAuthFlows');
    expect(scripts.GenerateSecret).toBe(false);
    expect(scripts.PreventUserExistenceErrors).toBe('ENABLED');
    expect(Object.keys(prod.findOutputs('AdminScriptsClientId'))).toEqual(['AdminScriptsClientId']);
  });

  it('has no client anywhere that takes a password in a request (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH)', () => {
    for (const template of [dev, prod]) {
      const flows = Object.values(resourcesOf(template, 'AWS::Cognito::UserPoolClient')).flatMap(
        (c) => (c.Properties!.ExplicitAuthFlows as string[] | undefined) ?? ['(Cognito default)'],
      );
      expect(flows).not.toContain('(Cognito default)');
      expect(flows.filter((flow) => /PASSWORD/.test(flow))).toEqual([]);
    }
  });
});

describe('invitations', () => {
  it("come from Cognito's default sender until the SES identity is known to be verified", () => {
    expect(pool(dev)).not.toHaveProperty('EmailConfiguration');
    expect(pool(prod)).not.toHaveProperty('EmailConfiguration');
  });

  it('come through SES from the domain identity once it is verified (sesIdentityExists, or adminInvitesFromSender)', () => {
    for (const context of [{ sesIdentityExists: 'true' }, { adminInvitesFromSender: 'true' }]) {
      const template = synthKeyward({ stage: 'prod', sesSender: 'example.com', ...context }).template;
      expect(pool(template).EmailConfiguration).toEqual({
        EmailSendingAccount: 'DEVELOPER',
        From: 'no-reply@example.com',
        SourceArn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/example.com'],
          ],
        },
      });
    }
  });

  it('come from an email identity as that address', () => {
    const template = synthKeyward({ stage: 'prod', sesSender: 'keys@example.com', sesIdentityExists: 'true' }).template;
    expect(pool(template).EmailConfiguration).toMatchObject({ From: 'keys@example.com' });
    expect(JSON.stringify(pool(template).EmailConfiguration)).toContain(':identity/keys@example.com');
  });

  it('carry the temporary password, the console address when one is configured, and what the first sign-in asks', () => {
    const { InviteMessageTemplate: invite } = pool(prod).AdminCreateUserConfig as { InviteMessageTemplate: Record<string, string> };
    expect(invite.EmailSubject).toBe('Your keyward admin account');
    expect(invite.EmailMessage).toContain('{username}');
    expect(invite.EmailMessage).toContain('{####}');
    expect(invite.EmailMessage).toContain('https://keys.example.com/console/');
    expect(invite.EmailMessage).toContain('set up an authenticator app');
    expect(pool(prod).Policies).toMatchObject({ PasswordPolicy: { TemporaryPasswordValidityDays: 7 } });
    expect(pool(dev).AdminCreateUserConfig).toMatchObject({
      InviteMessageTemplate: { EmailMessage: expect.not.stringContaining('authenticator') },
    });
  });
});
