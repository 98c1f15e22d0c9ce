import { type App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { synthKeyward } from './synth';

/** The unacknowledged findings of a stack after `addStray` added something to it, as `rule: construct path`. */
function findingsWith(addStray: (stack: Construct) => void): string[] {
  const { app, stack } = synthKeyward({});
  addStray(stack);
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((violation) => violation.violatingResources.map((r) => `${violation.ruleName}: ${r.constructPath}`));
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the default (Cognito admins, no SES sender, dev)', {}],
    [
      'a production stage with an SES sender, an external issuer, the cache on, a pinned table, an operator and header-only keys',
      {
        stage: 'prod',
        sesSender: 'example.com',
        adminIssuer: 'https://login.example.com',
        adminAudience: 'keyward',
        authorizerCacheTtlSeconds: '300',
        tableName: 'keyward-prod',
        operatorPrincipalArn: 'arn:aws:iam::111122223333:role/keyward-operator',
        apiKeyHeaderOnly: 'true',
        authorizerReservedConcurrency: '0',
      },
    ],
    ['a production stage without the example API (its default)', { stage: 'prod', exampleApi: 'false' }],
    [
      'a production stage sending from an SES identity that exists already',
      { stage: 'prod', sesSender: 'keys@example.com', sesIdentityExists: 'true' },
    ],
  ])('leaves no unacknowledged error or warning for %s', (_name, context) => {
    const { app } = synthKeyward(context);
    expectNoFindings(app);
  });

  it('leaves none with plans (usage plans, the operator policy)', () => {
    const { app } = synthKeyward(
      { stage: 'prod', exampleApi: 'true' },
      { default_plan: 'free', plans: { free: { rate: 1, burst: 2, quota: null }, pro: { rate: 10, burst: 20, quota: null } } },
    );
    expectNoFindings(app);
  });
});

function expectNoFindings(app: App): void {
  {
    const report = new AwsSolutionsChecks().validateScope(app);

    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  }
}

describe('cdk-nag acknowledgements are scoped to the resources they excuse', () => {
  it('flags a stray role with dynamodb:GetItem on *', () => {
    const findings = findingsWith((stack) => {
      const role = new iam.Role(stack, 'StrayRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] }));
    });

    expect(findings).toEqual([expect.stringMatching(/^AwsSolutions-IAM5\[Resource::\*\]: keyward-dev\/StrayRole\/DefaultPolicy/)]);
  });

  it('flags a stray nodejs18.x function (and its managed-policy role)', () => {
    const findings = findingsWith((stack) => {
      new lambda.Function(stack, 'StrayFunction', {
        runtime: lambda.Runtime.NODEJS_18_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {};'),
      });
    });

    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AwsSolutions-L1: keyward-dev\/StrayFunction/),
        expect.stringMatching(/^AwsSolutions-IAM4\[Policy::.*AWSLambdaBasicExecutionRole\]: keyward-dev\/StrayFunction\/ServiceRole/),
      ]),
    );
  });

  it('acknowledges nothing on the stack or the app themselves', () => {
    const { app, stack } = synthKeyward({});

    for (const scope of [app, stack]) {
      expect(scope.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toEqual([]);
    }
  });
});
