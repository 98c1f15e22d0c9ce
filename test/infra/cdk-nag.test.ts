import { AwsSolutionsChecks } from 'cdk-nag';
import { synthKeyward } from './synth';

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the default (Cognito admins, no SES sender, dev)', {}],
    [
      'a production stage with an SES sender, an external issuer and the cache on',
      {
        stage: 'prod',
        sesSender: 'example.com',
        adminIssuer: 'https://login.example.com',
        adminAudience: 'keyward',
        authorizerCacheTtlSeconds: '300',
      },
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
