import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashToken } from '../../lambdas/domain/token';
import { generateSigner, postReport } from '../../local/secret-scanning';
import { admin, consumer, newOrganization, stack } from './support';

/**
 * API.md §10 end to end against `npm start`: `keyward dev report-leak` signs a report with the
 * stack's stand-in GitHub key and posts it to the gateway; the leaked token is refused at once,
 * its replacement works, the admins get one email and the event bus one event.
 */

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'bin', 'keyward-cli.js');

async function reportLeak(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: stack.stateDir };
  delete env.KEYWARD_STACK;
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'dev', 'report-leak', ...args], { env, cwd: stack.stateDir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function eventually<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface StoredEmail {
  subject: string;
  destination: { bcc: string[] };
  body: { text?: string };
}

const SUBJECT = 'An API key was found in public';

async function leakEmails(adminEmail: string): Promise<StoredEmail[]> {
  const { emails } = (await (await fetch(`${stack.sesUrl}/store`)).json()) as { emails: StoredEmail[] };
  return emails.filter((email) => email.subject === SUBJECT && email.destination.bcc.includes(adminEmail));
}

function leakEvents(organizationId: string): { 'detail-type': string; detail: Record<string, unknown> }[] {
  return readFileSync(join(stack.stateDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((event) => event['detail-type'] === 'api_key.leaked' && event.detail.organization_id === organizationId);
}

jest.setTimeout(90_000);

describe('keyward dev report-leak against the local stack', () => {
  it('rotates the leaked key: the old token is refused at once, the new key works, one email, one event', async () => {
    const org = await newOrganization('leak');
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);

    const url = 'https://github.com/acme/app/blob/abc123/.env';
    const reported = await reportLeak(org.key, '--url', url, '--json');
    expect(reported).toMatchObject({ code: 0 });
    expect(JSON.parse(reported.stdout)).toEqual([
      { token_hash: hashToken(org.key), token_type: 'keyward_api_key', label: 'true_positive' },
    ]);

    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(401);
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    expect(listed.body.api_keys).toHaveLength(1);
    const [replacement] = listed.body.api_keys as { id: string }[];
    expect(replacement!.id).not.toBe(org.keyId);
    const revealed = await admin('POST', `${org.keysPath}/${replacement!.id}/reveal`, { jwt: org.jwt });
    expect((await consumer('GET', '/v1/customers', revealed.body.api_key.value)).status).toBe(200);

    const audit = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    const leaked = (audit.body.audit_events as { type: string; details: Record<string, unknown> }[]).filter(
      (event) => event.type === 'api_key.leaked',
    );
    expect(leaked).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ url, action: 'rotate', new_api_key_id: replacement!.id }) }),
    ]);

    // Reported again (GitHub redelivers): a true positive, and nothing more happens.
    const again = await reportLeak(org.key);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('true_positive') });

    const emails = await eventually(
      () => leakEmails(org.adminEmail),
      (found) => found.length >= 1,
    );
    const events = await eventually(
      () => leakEvents(org.id),
      (found) => found.length >= 1,
    );
    // Give a wrongly repeated delivery the time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await leakEmails(org.adminEmail)).toHaveLength(1);
    expect(leakEvents(org.id)).toHaveLength(1);
    expect(emails[0]!.body.text).toContain(url);
    expect(emails[0]!.body.text).not.toContain(org.key);
    expect(events[0]!.detail).toMatchObject({ type: 'api_key.leaked', details: { url, action: 'rotate' } });
  });

  it('refuses a report signed by any other key with 401 invalid_signature', async () => {
    const org = await newOrganization('leak-forged');
    const answer = await postReport(`${stack.url}/v1/secret_scanning/github`, [{ token: org.key }], generateSigner());
    expect(answer).toEqual({ status: 401, body: { status: 401, error: 'Unauthorized', code: 'invalid_signature' } });
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
  });

  it('labels a look-alike false_positive', async () => {
    const reported = await reportLeak(`kw_${'x'.repeat(36)}`);
    expect(reported).toMatchObject({ code: 0, stdout: expect.stringContaining('false_positive') });
  });
});
