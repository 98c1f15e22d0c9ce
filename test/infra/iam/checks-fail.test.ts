import type { TemplateJson, TemplateResource } from '../../support/cloudformation';
import type { AwsCall } from '../../support/iam-deployment';
import { gatewayInvokeCalls, type SdkStubs, stubSdkClients } from './aws-calls';
import { allowedCalls, deriveStageCalls, mustDenyCalls, refusedCalls, type StageCalls, trustCalls, unusedGrants } from './checks';
import { deploymentOf, synthStageTemplate } from './stages';

/**
 * Each check fails when the template is wrong: the prod template's calls, evaluated against a
 * copy of the template with one defect put back or put in. (The stage suites show the real
 * templates pass.)
 */

let stubs: SdkStubs;
let stackName: string;
let template: TemplateJson;
let calls: StageCalls;

beforeAll(async () => {
  stubs = stubSdkClients();
  ({ stackName, template } = synthStageTemplate('prod'));
  calls = await deriveStageCalls(deploymentOf(stackName, template), stubs);
}, 120_000);
afterAll(() => {
  for (const stub of Object.values(stubs)) stub.restore();
});

/** The template with `change` applied to a copy; `calls` evaluated against it. */
function withDefect(change: (resources: Record<string, TemplateResource>) => void): StageCalls {
  const copy = structuredClone(template);
  change(copy.Resources);
  return { ...calls, deployment: deploymentOf(stackName, copy) };
}

const idOf = (resources: Record<string, TemplateResource>, type: string, prefix: string): string => {
  const id = Object.keys(resources).find((candidate) => resources[candidate]!.Type === type && candidate.startsWith(prefix));
  if (!id) throw new Error(`no ${type} ${prefix}…`);
  return id;
};

type Statement = { Action: string | string[]; Condition?: Record<string, unknown>; Resource?: unknown; Sid?: string };

/** The statements of the role policy of the function whose role's logical id starts with `rolePrefix`. */
function roleStatements(resources: Record<string, TemplateResource>, rolePrefix: string): Statement[] {
  const role = idOf(resources, 'AWS::IAM::Role', rolePrefix);
  const policy = Object.values(resources).find(
    (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties!.Roles).includes(`"${role}"`),
  )!;
  return (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
}

const scheduleAssumptions = (stage: StageCalls): AwsCall[] => stage.scheduleRuns.filter((call) => call.action === 'sts:AssumeRole');

const functionCalls = (name: string): AwsCall[] => calls.functions.get(`${stackName}-${name}`)!.calls;

describe('the IAM checks, on a template with a defect', () => {
  it("refuse Scheduler's AssumeRole under the former trust condition (aws:SourceArn on schedule ARNs): ImplicitlyDenied, Allowed on the group ARN", async () => {
    const formerTrust = withDefect((resources) => {
      const role = resources[idOf(resources, 'AWS::IAM::Role', 'RetirementSchedulerRole')]!;
      const [statement] = (role.Properties!.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
      statement!.Condition = {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:*:', { Ref: 'AWS::AccountId' }, ':schedule/keyward-prod-retirements/*'],
            ],
          },
        },
      };
    });
    const [assume] = scheduleAssumptions(calls);

    expect((await formerTrust.deployment.simulate(assume!)).verdict).toBe('ImplicitlyDenied');
    expect((await calls.deployment.simulate(assume!)).verdict).toBe('Allowed');
    expect(await refusedCalls(formerTrust.deployment, trustCalls(formerTrust))).toHaveLength(1);
  });

  it('refuse a call whose grant is missing: a table action, the key policy statement (which alone decides for KMS), the trust of Lambda, an invoke permission', async () => {
    const noPut = withDefect((resources) => {
      for (const statement of roleStatements(resources, 'ManagementRevealApiKeyRole')) {
        statement.Action = [statement.Action].flat().filter((action) => action !== 'dynamodb:PutItem');
      }
    });
    expect(await refusedCalls(noPut.deployment, functionCalls('reveal-api-key'))).toEqual([expect.stringContaining('dynamodb:PutItem')]);

    const noKeyPolicyStatement = withDefect((resources) => {
      const key = resources[idOf(resources, 'AWS::KMS::Key', 'TokenKey')]!;
      const policy = key.Properties!.KeyPolicy as { Statement: Statement[] };
      policy.Statement = policy.Statement.filter((statement) => statement.Sid !== 'EncryptByCreateApiKey');
    });
    expect(await refusedCalls(noKeyPolicyStatement.deployment, functionCalls('create-api-key'))).toEqual([
      expect.stringContaining('kms:Encrypt'),
    ]);

    // The function's own kms:Encrypt statement is not what lets it: without it, the key policy still does.
    const noIdentityStatement = withDefect((resources) => {
      for (const statement of roleStatements(resources, 'ManagementCreateApiKeyRole')) {
        statement.Action = [statement.Action].flat().filter((action) => action !== 'kms:Encrypt');
      }
    });
    expect(await refusedCalls(noIdentityStatement.deployment, functionCalls('create-api-key'))).toEqual([]);

    const noLambdaTrust = withDefect((resources) => {
      const role = resources[idOf(resources, 'AWS::IAM::Role', 'RetirementRetireFunctionRole')]!;
      role.Properties!.AssumeRolePolicyDocument = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'edgelambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      };
    });
    expect(() => trustCalls(noLambdaTrust)).toThrow('trusts edgelambda.amazonaws.com');

    const permissionOnAnotherStage = withDefect((resources) => {
      for (const resource of Object.values(resources)) {
        if (resource.Type === 'AWS::Lambda::Permission' && JSON.stringify(resource.Properties).includes('ManagementListApiKeys')) {
          resource.Properties!.SourceArn = JSON.parse(
            JSON.stringify(resource.Properties!.SourceArn).replace(/\{"Ref":"ManagementApiDeploymentStage[^"]*"\}/, '"beta"'),
          );
        }
      }
    });
    expect(await refusedCalls(permissionOnAnotherStage.deployment, gatewayInvokeCalls(permissionOnAnotherStage.deployment))).toEqual([
      expect.stringContaining('/prod/GET/v1/organizations/sample/api_keys'),
    ]);
  });

  it("flag the former SES grant: a sandbox recipient's identity refused, any From address of the identity allowed", async () => {
    const formerSes = withDefect((resources) => {
      const statement = roleStatements(resources, 'NotificationsNotifyAdminsRole').find((s) => JSON.stringify(s.Action).includes('ses:'))!;
      statement.Action = ['ses:SendEmail', 'ses:SendRawEmail'];
      delete statement.Condition;
      const ses = ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }];
      statement.Resource = [
        { 'Fn::Join': ['', [...ses, ':identity/example.com']] },
        { 'Fn::Join': ['', [...ses, ':configuration-set/', { Ref: idOf(resources, 'AWS::SES::ConfigurationSet', 'Notifications') }]] },
      ];
    });

    expect(await refusedCalls(formerSes.deployment, functionCalls('notify-admins'))).toEqual(
      expect.arrayContaining([expect.stringContaining(':identity/admin@acme.test')]),
    );
    expect(await allowedCalls(formerSes.deployment, mustDenyCalls(formerSes))).toEqual(
      expect.arrayContaining([expect.stringContaining('the notifier sends from another address')]),
    );
    const notifier = formerSes.functions.get(`${stackName}-notify-admins`)!;
    expect(unusedGrants(formerSes.deployment, notifier.fn, notifier.calls)).toEqual(['ses:SendRawEmail']);
  });

  it('allow a must-deny call once its guard is gone: the attributes condition, the PassedToService condition', async () => {
    const anyAttribute = withDefect((resources) => {
      for (const statement of roleStatements(resources, 'ExampleApiKeyAuthorizerFunctionRole')) delete statement.Condition;
    });
    expect(await allowedCalls(anyAttribute.deployment, mustDenyCalls(anyAttribute))).toEqual(
      expect.arrayContaining([expect.stringContaining('the api-key authorizer writes permissions')]),
    );

    const passAnywhere = withDefect((resources) => {
      for (const statement of roleStatements(resources, 'ManagementRotateApiKeyRole')) {
        if (statement.Action === 'iam:PassRole') delete statement.Condition;
      }
    });
    expect(await allowedCalls(passAnywhere.deployment, mustDenyCalls(passAnywhere))).toEqual([
      expect.stringContaining('keyward-prod-rotate-api-key passes the scheduler role to Lambda'),
    ]);
  });

  it('flag a grant the code does not use (the retire function with Query back)', () => {
    const withQuery = withDefect((resources) => {
      const table = roleStatements(resources, 'RetirementRetireFunctionRole').find((s) =>
        JSON.stringify(s.Action).includes('dynamodb:GetItem'),
      )!;
      table.Action = [...[table.Action].flat(), 'dynamodb:Query'];
    });
    const retire = withQuery.functions.get(`${stackName}-retire-api-key`)!;
    expect(unusedGrants(withQuery.deployment, retire.fn, retire.calls)).toEqual(['dynamodb:Query']);
  });
});
