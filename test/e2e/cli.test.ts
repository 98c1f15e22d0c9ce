import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { keyEvent } from '../../lambdas/domain/audit-event';
import { documentClient } from '../../lambdas/runtime/clients';
import { failureRecord } from '../../lambdas/service/job-redrive';
import { apiKeyKey, deliveryKey, memberKey, organizationKey } from '../../lambdas/table/layout';
import { localClientConfig } from '../../local/dynamodb-local';
import { JOBS_DEAD_LETTER_FILE } from '../../local/retirement-loop';
import { DEAD_LETTER_FILE } from '../../local/stream-poller';
import { admin, consumer, mintJwt, newOrganization, stack, withOperator } from './support';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'bin', 'keyward-cli.js');

/** The `keyward` bin (API.md §4) against the running local stack, found through KEYWARD_STATE_DIR. */
async function keyward(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: stack.stateDir };
  delete env.KEYWARD_TABLE;
  delete env.KEYWARD_STACK;
  try {
    // The bin's shebang would take the first node on PATH; the tests' own is the pinned Node 24.
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd: stack.stateDir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each run is a fresh node process loading tsx and the AWS SDK: seconds, not milliseconds.
jest.setTimeout(60_000);

describe('keyward CLI against the local stack', () => {
  const id = `acme-${Date.now().toString(36)}`;

  it('creates an organization whose first key works at the gateway, and mints an admin JWT that works', async () => {
    const created = await keyward('org', 'create', '--name', 'Acme', '--id', id, '--admin', 'a@acme.test', '--json');
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout);
    expect(body.organization).toEqual({ id, name: 'Acme' });
    expect(body.api_key).toMatchObject({ organization_id: id, name: null, expires_at: null, value: expect.stringMatching(/^kw_/) });

    const echo = await consumer('GET', '/v1/customers', body.api_key.value);
    expect(echo).toMatchObject({ status: 200, body: { organization_id: id, api_key_id: body.api_key.id } });

    const token = await keyward('token', '--email', 'a@acme.test', '--json');
    expect(token.code).toBe(0);
    const { token: jwt } = JSON.parse(token.stdout) as { token: string };
    const listed = await admin('GET', `/v1/organizations/${id}/api_keys`, { jwt });
    expect(listed.status).toBe(200);
    expect(listed.body.api_keys).toEqual([expect.objectContaining({ id: body.api_key.id })]);
  });

  it('derives the id from the name and prints the key once in human mode', async () => {
    const name = `Globex ${Date.now().toString(36)}`;
    const created = await keyward('org', 'create', '--name', name, '--admin', 'hank@globex.test');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Created organization ${name.toLowerCase().replace(' ', '-')}`);
    expect(created.stdout).toMatch(/^ {2}kw_[0-9A-Za-z]{36}$/m);
    expect(created.stdout).toMatch(/will not be shown again/);
  });

  it('adds a member (not an admin by default), promotes them, and removes them', async () => {
    const jwt = JSON.parse((await keyward('token', '--email', 'bob@acme.test', '--json')).stdout).token as string;
    const path = `/v1/organizations/${id}/api_keys`;
    expect((await admin('GET', path, { jwt })).body.code).toBe('organization_not_found');

    expect((await keyward('org', 'add-member', '--org', id, '--email', 'bob@acme.test')).code).toBe(0);
    expect((await admin('GET', path, { jwt })).body.code).toBe('admin_role_required');

    expect((await keyward('org', 'add-member', '--org', id, '--email', 'Bob@Acme.test', '--role', 'admin')).code).toBe(0);
    expect((await admin('GET', path, { jwt })).status).toBe(200);

    expect((await keyward('org', 'remove-member', '--org', id, '--email', 'bob@acme.test')).code).toBe(0);
    expect((await admin('GET', path, { jwt })).body.code).toBe('organization_not_found');
  });

  it('refuses to remove or demote the last admin', async () => {
    const solo = `solo-${Date.now().toString(36)}`;
    expect((await keyward('org', 'create', '--name', 'Solo', '--id', solo, '--admin', 'only@solo.test')).code).toBe(0);
    for (const attempt of [
      ['org', 'remove-member', '--org', solo, '--email', 'only@solo.test'],
      ['org', 'add-member', '--org', solo, '--email', 'only@solo.test', '--role', 'member'],
    ]) {
      const refused = await keyward(...attempt);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('last_admin');
    }
  });

  it('exits 2 with the details on invalid input, and 1 with a message on other errors', async () => {
    const invalid = await keyward('org', 'create', '--name', 'Bad', '--id=-bad-', '--admin', 'not-an-email');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/id: /);

    const missing = await keyward('org', 'create', '--name', 'No admin');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--admin/);

    const duplicate = await keyward('org', 'create', '--name', 'Acme', '--id', id, '--admin', 'a@acme.test');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/organization_already_exists/);
    expect(duplicate.stdout).toBe('');
  });

  it('migrate writes the membership items a table from an earlier version lacks, so GET /v1/me lists the organization', async () => {
    const org = await newOrganization('migrated');
    // What an earlier version left: the member item without its membership item.
    const raw = documentClient(localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId));
    await raw.send(new DeleteCommand({ TableName: stack.tableName, Key: { pk: `USER#${org.adminEmail}`, sk: `MEMBERSHIP#${org.id}` } }));
    raw.destroy();
    const jwt = await mintJwt({ email: org.adminEmail });
    expect((await admin('GET', '/v1/me', { jwt })).body.organizations).toEqual([]);

    const migrated = await keyward('migrate', '--json');
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.stdout)).toEqual({
      memberships: { written: expect.any(Number), removed: expect.any(Number) },
      hot_items: { rewritten: expect.any(Number), skipped: expect.any(Number) },
    });
    expect(JSON.parse(migrated.stdout).memberships.written).toBeGreaterThanOrEqual(1);
    expect((await admin('GET', '/v1/me', { jwt })).body.organizations).toEqual([{ id: org.id, name: 'migrated', role: 'admin' }]);

    const again = await keyward('migrate');
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Memberships: \d+ written, \d+ removed.*\nHot items: 0 rewritten/),
    });
    expect((await admin('GET', '/v1/me', { jwt })).body.organizations).toEqual([{ id: org.id, name: 'migrated', role: 'admin' }]);
  });

  it('refuses to work without a running stack or --stack', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: join(stack.stateDir, 'nowhere') };
    delete env.KEYWARD_TABLE;
    delete env.KEYWARD_STACK;
    const reply = await run(CLI, ['token', '--email', 'a@acme.test'], { env }).catch((error: { code: number; stderr: string }) => error);
    expect(reply).toMatchObject({ code: 1, stderr: expect.stringMatching(/npm start.*--stack/s) });
  });

  it('prints its version, per-command help, and exits 2 with the usage on an unknown command or option', async () => {
    const version = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
    expect(await keyward('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });

    const help = await keyward('keys', 'rotate', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keyward keys rotate \[options\]/);
    expect(help.stdout).toMatch(/--expires-in <period>.*"now", "1h",\s+"24h", "48h", "7d"/s);
    expect(help.stdout).toMatch(/--stack <name>/);

    for (const args of [
      ['orgs', 'list'],
      ['org', 'list', '--bogus'],
      ['keys', 'rotate', '--org', 'x', '--key', 'y', '--expires-in', '2h'],
      ['keys', 'list'],
      [],
    ]) {
      const refused = await keyward(...args);
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toMatch(/Usage: keyward/);
    }
  });

  it('lists organizations, shows one, and lists, rotates and deletes its keys, audited as the local operator', async () => {
    const org = `ops-${Date.now().toString(36)}`;
    const created = JSON.parse((await keyward('org', 'create', '--name', 'Ops', '--id', org, '--admin', 'lead@ops.test', '--json')).stdout);
    expect((await keyward('org', 'add-member', '--org', org, '--email', 'dev@ops.test')).code).toBe(0);

    const listed = JSON.parse((await keyward('org', 'list', '--json')).stdout);
    expect(listed.organizations).toContainEqual({ id: org, name: 'Ops', admins: 1, members: 2, api_keys: 1 });
    expect((await keyward('org', 'list')).stdout).toMatch(new RegExp(`^${org} +Ops +1 +2 +1$`, 'm'));

    const shown = JSON.parse((await keyward('org', 'show', '--org', org, '--json')).stdout);
    expect(shown).toEqual({
      organization: { id: org, name: 'Ops' },
      members: expect.arrayContaining([
        { email: 'lead@ops.test', role: 'admin' },
        { email: 'dev@ops.test', role: 'member' },
      ]),
      api_keys: [expect.objectContaining({ id: created.api_key.id, masked_value: created.api_key.masked_value })],
    });
    expect(shown.members).toHaveLength(2);
    const missing = await keyward('org', 'show', '--org', 'no-such-org');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('organization_not_found');

    const rotated = JSON.parse(
      (await keyward('keys', 'rotate', '--org', org, '--key', created.api_key.id, '--expires-in', '1h', '--json')).stdout,
    );
    expect(rotated.api_key).toMatchObject({ value: expect.stringMatching(/^kw_/), expires_at: null, name: null });
    expect(rotated.rotated_api_key).toMatchObject({ id: created.api_key.id, expires_at: expect.any(String) });
    expect((await consumer('GET', '/v1/customers', rotated.api_key.value)).status).toBe(200);
    expect((await consumer('GET', '/v1/customers', created.api_key.value)).status).toBe(200);

    const keys = JSON.parse((await keyward('keys', 'list', '--org', org, '--json')).stdout);
    expect(keys).toEqual({
      api_keys: [
        expect.objectContaining({ id: created.api_key.id, expires_at: rotated.rotated_api_key.expires_at }),
        expect.objectContaining({ id: rotated.api_key.id, expires_at: null }),
      ],
    });
    expect(JSON.stringify(keys)).not.toContain(rotated.api_key.value);
    const table = (await keyward('keys', 'list', '--org', org)).stdout;
    expect(table).toMatch(/^ID +Name +Key +Allowed IPs +Created +Expires +Last used$/m);
    expect(table).toContain(rotated.rotated_api_key.expires_at);

    const refused = await keyward('keys', 'delete', '--org', org, '--key', rotated.api_key.id, '--json');
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain('last_non_expiring_api_key');
    const deleted = await keyward('keys', 'delete', '--org', org, '--key', created.api_key.id, '--json');
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout).api_key).toMatchObject({ id: created.api_key.id });
    expect((await consumer('GET', '/v1/customers', created.api_key.value)).status).toBe(401);

    const jwt = await mintJwt({ email: 'lead@ops.test' });
    const audit = await admin('GET', `/v1/organizations/${org}/audit_events`, { jwt });
    const operator = { type: 'operator', principal: 'local', user: userInfo().username };
    expect(audit.body.audit_events.map((event: { type: string; actor: unknown }) => [event.type, event.actor])).toEqual([
      ['api_key.deleted', operator],
      ['api_key.rotated', operator],
      ['api_key.created', operator],
    ]);
  });

  it('redrives an email the stream poller dead-lettered, once: re-reading the event from the table', async () => {
    const org = await newOrganization('redrive');
    const raw = documentClient(localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId));
    const eventId = ulid();
    // Another delivery holds the event's claim for good: the notifier retries, then the poller dead-letters the record.
    await raw.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { ...deliveryKey(eventId), status: 'pending', claim_token: 'stuck', lease_expires_at: Date.now() + 3_600_000 },
      }),
    );
    await withOperator((ops) =>
      ops.store.appendAuditEvent(
        keyEvent({
          id: eventId,
          type: 'api_key.deleted',
          key: { id: org.keyId, organizationId: org.id, name: 'Billing', maskedValue: 'kw_••••••••abcd' },
          actor: { type: 'system' },
          at: new Date(),
        }),
      ),
    );
    const deadLetters = async () => (await readFile(join(stack.stateDir, DEAD_LETTER_FILE), 'utf8').catch(() => '')).includes(eventId);
    for (let waited = 0; !(await deadLetters()) && waited < 40_000; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await deadLetters()).toBe(true);
    await raw.send(new DeleteCommand({ TableName: stack.tableName, Key: deliveryKey(eventId) }));
    raw.destroy();
    const deletedMail = async () =>
      ((await (await fetch(`${stack.sesUrl}/store`)).json()) as { emails: { subject: string; body: { text?: string } }[] }).emails.filter(
        (email) => email.subject === 'An API key has been deleted' && email.body.text?.includes(org.id),
      );
    expect(await deletedMail()).toHaveLength(0);

    const redriven = await keyward('notifications', 'redrive', '--json');
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toEqual({ redriven: 1, failed: 0 });
    expect(await deletedMail()).toHaveLength(1);
    expect(await deadLetters()).toBe(false);

    expect(JSON.parse((await keyward('notifications', 'redrive', '--json')).stdout)).toEqual({ redriven: 0, failed: 0 });
    expect(await deletedMail()).toHaveLength(1);
  });

  it('runs again a retirement the timer loop parked: the key leaves the list, its email goes out, and a line that holds no job stays', async () => {
    const org = await newOrganization('jobs');
    const expiresAt = new Date(Date.now() + 4000).toISOString();
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'short-lived', expires_at: expiresAt } });
    expect(created.status).toBe(201);
    const keyId = created.body.api_key.id as string;
    // What the loop does after the job's third failed attempt: its job file goes, an invocation record is parked.
    const schedules = join(stack.stateDir, 'schedules');
    for (const file of readdirSync(schedules).filter((name) => name.startsWith(`retire-${keyId}`))) rmSync(join(schedules, file));
    const retirement = { organization_id: org.id, api_key_id: keyId, expires_at: created.body.api_key.expires_at };
    const parked = failureRecord(retirement, { attempts: 3, error: 'DynamoDB unavailable', at: new Date() });
    const deadLetters = join(stack.stateDir, JOBS_DEAD_LETTER_FILE);
    writeFileSync(deadLetters, `${JSON.stringify(parked)}\n{"requestPayload":"not a job"}\n`, { flag: 'a' });
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 100));
    const listed = async () =>
      ((await admin('GET', org.keysPath, { jwt: org.jwt })).body.api_keys as { id: string }[]).map((key) => key.id);
    expect(await listed()).toContain(keyId);

    const redriven = await keyward('jobs', 'redrive', '--json');

    expect(redriven.code).toBe(1);
    expect(JSON.parse(redriven.stdout)).toEqual({ redriven: 1, failed: 1 });
    expect(redriven.stderr).toContain('holds no retirement or reminder job');
    expect(await listed()).not.toContain(keyId);
    const expiredMail = async () =>
      ((await (await fetch(`${stack.sesUrl}/store`)).json()) as { emails: { subject: string; body: { text?: string } }[] }).emails.filter(
        (email) => email.subject === 'An API key has expired' && email.body.text?.includes(org.id),
      );
    for (let waited = 0; (await expiredMail()).length === 0 && waited < 20_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
    expect(await expiredMail()).toHaveLength(1);
    expect(readFileSync(deadLetters, 'utf8')).not.toContain(keyId);

    // Only the line that holds no job is left: it fails again, and the key is retired once.
    expect(JSON.parse((await keyward('jobs', 'redrive', '--json')).stdout)).toEqual({ redriven: 0, failed: 1 });
    rmSync(deadLetters);
    expect(JSON.parse((await keyward('jobs', 'redrive', '--json')).stdout)).toEqual({ redriven: 0, failed: 0 });
  });

  describe('names and emails that attack terminals (issue 16 item 4)', () => {
    /** What a terminal acts on: C0 controls (ESC, BEL, CR, LF…), DEL, C1 controls, bidirectional overrides. */
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
    const ATTACK = 'prod\u001b[2J\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007\r\nkw_fake\u009b31m\u202eevil';

    it('prints stored names and emails written before names were checked escaped, in tables and JSON', async () => {
      const org = await newOrganization('legacy');
      const raw = documentClient(localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId));
      try {
        // What an earlier version let an admin store, written straight to the table.
        await raw.send(
          new UpdateCommand({
            TableName: stack.tableName,
            Key: apiKeyKey(org.id, org.keyId),
            UpdateExpression: 'SET #name = :name',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: { ':name': ATTACK },
          }),
        );
        await raw.send(
          new UpdateCommand({
            TableName: stack.tableName,
            Key: organizationKey(org.id),
            UpdateExpression: 'SET #name = :name',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: { ':name': `Legacy${ATTACK}` },
          }),
        );
        const email = 'x\u001b]0;pwned\u0007\r\n@legacy.test';
        await raw.send(
          new PutCommand({
            TableName: stack.tableName,
            Item: { ...memberKey(org.id, email), entity: 'member', organization_id: org.id, email, role: 'member' },
          }),
        );
      } finally {
        raw.destroy();
      }

      for (const args of [
        ['keys', 'list', '--org', org.id],
        ['org', 'show', '--org', org.id],
        ['org', 'list'],
      ]) {
        const human = await keyward(...args);
        expect([args.join(' '), human.code]).toEqual([args.join(' '), 0]);
        expect(human.stdout).not.toMatch(RAW_CONTROL);
        expect(human.stdout).toContain('prod\\u001b[2J\\u001b]52;c;');
        const json = await keyward(...args, '--json');
        expect(json.code).toBe(0);
        expect(json.stdout).not.toMatch(RAW_CONTROL);
        expect(json.stdout.trimEnd()).not.toContain('\n');
        // The same data to a parser: JSON escapes, not a changed value.
        expect(json.stdout).toContain(JSON.stringify(ATTACK).slice(1, 5));
        if (args[0] === 'keys') expect(JSON.parse(json.stdout).api_keys[0].name).toBe(ATTACK);
        if (args[1] === 'show') {
          const shown = JSON.parse(json.stdout);
          expect(shown.organization.name).toBe(`Legacy${ATTACK}`);
          expect(shown.members).toContainEqual({ email: 'x\u001b]0;pwned\u0007\r\n@legacy.test', role: 'member' });
        }
      }
    });

    it.each([
      ['an ESC sequence', `Acme\u001b[2J`],
      ['OSC 52', 'Acme\u001b]52;c;eA==\u0007'],
      ['CR and LF', 'Acme\r\nBy: x'],
      ['DEL', 'Acme\u007f'],
      ['a C1 control', 'Acme\u009b'],
      ['a bidirectional override', 'Acme\u202e'],
      ['a bidirectional isolate', 'Acme\u2067'],
      ['an API key', `Acme kw_${'A1b2C3d4E5'.repeat(3)}000000`],
    ])('refuses an organization name with %s (exit 2), creating nothing', async (_, name) => {
      const id = `bad-${Date.now().toString(36)}`;
      const refused = await keyward('org', 'create', '--name', name, '--id', id, '--admin', 'a@bad.test');
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toMatch(/^ {2}name: /m);
      expect(refused.stderr).not.toMatch(RAW_CONTROL);
      expect((await keyward('org', 'show', '--org', id)).stderr).toContain('organization_not_found');
    });

    it.each([
      ['not an address', 'not-an-email'],
      ['a control sequence', 'a@b.test\u001b]52;c;eA==\u0007'],
      ['a second header line', 'a@b.test\r\nBcc: everyone@b.test'],
      ['a second recipient', 'a@b.test,c@d.test'],
      ['a display name', 'Eve <eve@b.test>'],
      ['no domain', 'a@b'],
    ])('refuses an admin email with %s (exit 2), and a token for it', async (_, email) => {
      const id = `mail-${Date.now().toString(36)}`;
      const refused = await keyward('org', 'create', '--name', 'Mail', '--id', id, '--admin', email);
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toMatch(/^ {2}email: .*is not an email address$/m);
      expect(refused.stderr).not.toMatch(RAW_CONTROL);
      expect((await keyward('org', 'show', '--org', id)).stderr).toContain('organization_not_found');

      const token = await keyward('token', '--email', email, '--json');
      expect(token).toMatchObject({ code: 2, stdout: '' });
      expect(token.stderr).not.toMatch(RAW_CONTROL);
    });
  });

  it('writes owner-only files: the jobs of a scheduled rotation are 0600 in a 0700 directory (issue 16 item 9)', async () => {
    const org = await newOrganization('modes');
    const rotated = await keyward('keys', 'rotate', '--org', org.id, '--key', org.keyId, '--expires-in', '48h', '--json');
    expect(rotated.code).toBe(0);
    const schedules = join(stack.stateDir, 'schedules');
    const jobs = readdirSync(schedules).filter((name) => name.includes(org.keyId));
    // The retirement, and the reminders of the organization's default marks (7 and 1 days) that fall in 48 h.
    expect(jobs).toContainEqual(expect.stringMatching(/^retire-.*\.json$/));
    const modes = Object.fromEntries(
      [schedules, ...jobs.map((name) => join(schedules, name))].map((path) => [path, (statSync(path).mode & 0o777).toString(8)]),
    );
    expect(modes).toEqual(Object.fromEntries(Object.keys(modes).map((path) => [path, path === schedules ? '700' : '600'])));
  });
});
