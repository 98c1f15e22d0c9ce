import { AwsSolutionsChecks } from 'cdk-nag';
import { synthKeyward } from './synth';

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
    [
      'a production stage sending from an SES identity that exists already',
      { stage: 'prod', sesSender: 'keys@example.com', sesIdentityExists: 'true' },
    ],
  ])('leaves no unacknowledged error or warning for %s', (_name, context) => {
    const { app } = synthKeyward(context);

    const report = new AwsSolutionsChecks().validateScope(app);

    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });
});
