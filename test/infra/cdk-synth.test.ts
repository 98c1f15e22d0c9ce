import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { OPERATION_LIST } from '../../lambdas/operations/manifest';

const run = promisify(execFile);
/** One function per manifest operation, plus the two authorizers, the example echo, retire, remind, the notifier, the event publisher, the usage aggregator and the usage rollup. */
const FUNCTIONS = OPERATION_LIST.length + 9;
const ROOT = path.join(__dirname, '..', '..');

/** The environment of a fresh machine: no AWS credentials or profile, no instance metadata. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('CDK_')) env[name] = value;
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

describe('npx cdk synth', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'keyward-cdk-out-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes the app without credentials, bundling every function with the local esbuild and passing cdk-nag', async () => {
    await run('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', out, '-c', 'sesSender=keys@example.com'], {
      cwd: ROOT,
      env: offlineEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });

    const template = JSON.parse(readFileSync(path.join(out, 'keyward-dev.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    // CDK's own handlers for the console (BucketDeployment, bucket auto-delete) are not keyward's functions.
    const functions = Object.entries(template.Resources).filter(
      ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && !/^Custom(CDKBucketDeployment|S3AutoDeleteObjects)/.test(id),
    );
    const bundles = readdirSync(out).filter(
      (name) =>
        name.startsWith('asset.') && statSync(path.join(out, name)).isDirectory() && existsSync(path.join(out, name, 'index.js.map')),
    );
    expect(functions).toHaveLength(FUNCTIONS);
    expect(bundles).toHaveLength(FUNCTIONS);
    for (const bundle of bundles) {
      expect(readdirSync(path.join(out, bundle)).sort()).toEqual(['index.js', 'index.js.map']);
      // Runtime code never pulls in the CDK (STYLE.md rule 1), not even through the manifest lib/ shares.
      const { sources } = JSON.parse(readFileSync(path.join(out, bundle, 'index.js.map'), 'utf8')) as { sources: string[] };
      expect(sources.filter((source) => /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//.test(source))).toEqual([]);
    }
  }, 600_000);
});
