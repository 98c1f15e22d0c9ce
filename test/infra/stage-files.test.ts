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
import { environmentOf, resourcesOf } from './template-helpers';
import { fnName } from './synth';

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

    expect(environmentOf(prod, fnName('api-key-authorizer', 'prod'))).toMatchObject({ KEY_PREFIX: 'kw' });
    expect(environmentOf(prod, fnName('create-api-key', 'prod'))).toMatchObject({ KEY_PREFIX: 'kw' });
    prod.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.com' });
    prod.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    expect(JSON.stringify(prod.findResources('AWS::KMS::Key'))).toContain('arn:aws:iam::111122223333:role/keyward-operator');
    prod.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [{ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 }],
    });
  });

  it('leaves the account-wide API Gateway logging role alone in prod, and sets it in dev (manageApiGatewayAccount)', () => {
    expect(Object.keys(resourcesOf(synthStage({ stage: 'prod' }), 'AWS::ApiGateway::Account'))).toHaveLength(0);
    expect(Object.keys(resourcesOf(synthStage({ stage: 'dev' }), 'AWS::ApiGateway::Account'))).toHaveLength(1);
  });

  it('stops `npx cdk synth -c stage=prod -c keyPrefix=…` with the explanation, before building anything', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'keyward-cdk-out-'));
    const synth = run('npx', ['cdk', 'synth', '--no-notices', '--quiet', '-c', 'stage=prod', '-c', 'keyPrefix=other', '--output', out], {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });

    try {
      await expect(synth).rejects.toMatchObject({
        stderr: expect.stringMatching(/-c keyPrefix=other contradicts config\/stages\/prod\.json, which records keyPrefix = kw\..*401 on every live key/),
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
