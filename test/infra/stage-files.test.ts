import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ContextKey } from '../../lib/config';
import { KeywardStack } from '../../lib/keyward-stack';
import { stageConfig } from '../../lib/stage-file';
import { fnName } from './synth';
import { environmentOf, resourcesOf } from './template-helpers';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

/** Synthesizes a stage as `bin/keyward.ts` does: the repository's stage file under the given context (bundling skipped). */
function synthStage(context: Partial<Record<ContextKey, string>>): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = stageConfig((key) => context[key]);
  return Template.fromStack(new KeywardStack(app, `keyward-${config.stage}`, { config }));
}

describe('the stages recorded in config/stages', () => {
  it('deploys prod from its file alone: its prefix, sender, operator grant, alarm address and throttles', () => {
    const prod = synthStage({ stage: 'prod' });

    expect(environmentOf(prod, fnName('rotate-api-key', 'prod'))).toMatchObject({ KEY_PREFIX: 'kw' });
    expect(environmentOf(prod, fnName('create-api-key', 'prod'))).toMatchObject({ KEY_PREFIX: 'kw' });
    prod.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.com' });
    prod.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    expect(JSON.stringify(prod.findResources('AWS::KMS::Key'))).toContain('arn:aws:iam::111122223333:role/keyward-operator');
    prod.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [{ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 }],
    });
  });

  it('leaves the account-wide API Gateway logging role alone in prod, and sets it in dev (manageApiGatewayAccount)', () => {
    expect(Object.keys(resourcesOf(synthStage({ stage: 'prod' }), 'AWS::ApiGateway::Account'))).toHaveLength(0);
    expect(Object.keys(resourcesOf(synthStage({ stage: 'dev' }), 'AWS::ApiGateway::Account'))).toHaveLength(1);
  });

  it('ships the example echo API (and its authorizer and their alarms) on dev only: prod protects the platform’s own API', () => {
    const prod = synthStage({ stage: 'prod' });
    const dev = synthStage({ stage: 'dev' });
    const names = (template: Template) =>
      Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map((fn) => fn.Properties?.FunctionName);
    const alarms = (template: Template) =>
      Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties?.AlarmName as string);

    expect(names(dev)).toEqual(expect.arrayContaining([fnName('example-echo'), fnName('api-key-authorizer')]));
    expect(names(prod)).not.toContain(fnName('example-echo', 'prod'));
    expect(names(prod)).not.toContain(fnName('api-key-authorizer', 'prod'));
    expect(Object.values(resourcesOf(prod, 'AWS::ApiGateway::RestApi')).map((api) => api.Properties?.Name)).toEqual([
      'keyward-prod-management',
    ]);
    expect(Object.keys(prod.findOutputs('ExampleApiUrl'))).toEqual([]);
    expect(alarms(prod).filter((name) => /^keyward-prod-(authorizer-|api-key-authorizer-|example-)/.test(name))).toEqual([]);
    expect(alarms(dev)).toEqual(expect.arrayContaining(['keyward-dev-authorizer-errors', 'keyward-dev-example-429-rate']));
    // -c exampleApi=true on a stage whose file is silent about it brings it back.
    expect(names(synthStage({ stage: 'prod', exampleApi: 'true' }))).toContain(fnName('example-echo', 'prod'));
  });

  it('stops `npx cdk synth -c stage=prod -c keyPrefix=…` with the explanation, before building anything', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'keyward-cdk-out-'));
    const synth = run('npx', ['cdk', 'synth', '--no-notices', '--quiet', '-c', 'stage=prod', '-c', 'keyPrefix=other', '--output', out], {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });

    try {
      await expect(synth).rejects.toMatchObject({
        stderr: expect.stringMatching(
          /-c keyPrefix=other contradicts config\/stages\/prod\.json, which records keyPrefix = kw\..*401 on every live key/,
        ),
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
