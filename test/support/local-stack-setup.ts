import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevIssuer } from '../../local/dev-issuer';
import { readRuntimeInfo } from '../../local/state';
import { freePort } from './free-port';
import { publishE2eStack } from './local-stack';

const ROOT = join(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 120_000;
/** The e2e stack's "still in use" window (one hour otherwise). */
export const E2E_STILL_IN_USE_WINDOW_SECONDS = 30;

export interface E2eProcess {
  child: ChildProcess;
  stateDir: string;
  /** The gateway's, DynamoDB Local's and the SES emulator's: teardown checks none listens once the stack has stopped. */
  ports: number[];
}

/**
 * Jest globalSetup for e2e: the local stack with `--fresh`, as `npm start` runs it (the node process
 * itself, which the teardown signals; local-runtime-lifecycle.test.ts goes through npm), on
 * free ports with a temporary state dir, so the handlers load their configuration from their own
 * process.env as in Lambda. Tests reach it over HTTP, plus its state directory (the dev issuer key to
 * mint JWTs) and DynamoDB Local with the key runtime.json publishes.
 */
export default async function setup(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'keyward-e2e-'));
  const [port, dynamodbPort, sesPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'start.ts'), '--fresh'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DYNAMODB_PORT: String(dynamodbPort),
      SES_PORT: String(sesPort),
      KEYWARD_STATE_DIR: stateDir,
      // A still-in-use window a test can use a key inside without waiting an hour (lifecycle-events.test.ts).
      KEYWARD_STILL_IN_USE_WINDOW_SECONDS: String(E2E_STILL_IN_USE_WINDOW_SECONDS),
      // A reminder "day" of one second, so expiry reminders fall seconds ahead (test/e2e/expiring-keys.test.ts).
      KEYWARD_REMINDER_DAY_MS: '1000',
      // Plans a test can exhaust at once (test/e2e/plans.test.ts); the default one is generous.
      KEYWARD_PLANS_FILE: join(ROOT, 'test', 'e2e', 'fixtures', 'plans.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const signInCode = () => /^ {2}sign-in code: (\S+)$/m.exec(output)?.[1];
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  (globalThis as { __keywardE2e__?: E2eProcess }).__keywardE2e__ = { child, stateDir, ports: [port, dynamodbPort, sesPort] };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let runtime = readRuntimeInfo(stateDir);
  // Ready, and the banner printed (it follows readiness by a moment): the sign-in code is read from it as a person does.
  while (!runtime || !(await healthy(runtime.gateway_url)) || !signInCode()) {
    if (child.exitCode !== null) throw new Error(`the local stack exited with code ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the local stack did not become healthy:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    runtime = readRuntimeInfo(stateDir);
  }

  const issuer = await createDevIssuer({ stateDir, issuer: runtime.issuer, audience: runtime.audience });
  const adminJwt = await issuer.mint({ email: 'admin@demo.test' });
  const keysUrl = `${runtime.gateway_url}/v1/organizations/demo/api_keys`;
  const auth = { authorization: `Bearer ${adminJwt}` };
  const listed = (await (await fetch(keysUrl, { headers: auth })).json()) as { api_keys: { id: string }[] };
  const demoKeyId = listed.api_keys[0]!.id;
  const revealed = (await (await fetch(`${keysUrl}/${demoKeyId}/reveal`, { method: 'POST', headers: auth })).json()) as {
    api_key: { value: string };
  };

  publishE2eStack({
    url: runtime.gateway_url,
    stateDir,
    dynamodbEndpoint: runtime.dynamodb_endpoint,
    dynamodbAccessKeyId: runtime.dynamodb_access_key_id,
    tableName: runtime.table_name,
    sesUrl: runtime.ses_url,
    issuer: runtime.issuer,
    audience: runtime.audience,
    adminJwt,
    signInCode: signInCode()!,
    demoOrganizationId: 'demo',
    demoKey: revealed.api_key.value,
    demoKeyId,
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).status === 200;
  } catch {
    return false;
  }
}
