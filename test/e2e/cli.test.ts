import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lambdas/runtime/clients';
import { localClientConfig } from '../../local/dynamodb-local';
import { admin, consumer, mintJwt, newOrganization, stack } from './support';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'bin', 'keyward-cli.js');

/** The `keyward` bin (API.md §4) against the running local stack, found through KEYWARD_STATE_DIR. */
async function keyward(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: stack.stateDir };
  delete env.KEYWARD_TABLE;
  try {
    const { stdout, stderr } = await run(CLI, args, { env, cwd: stack.stateDir });
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
    expect(JSON.parse(migrated.stdout)).toEqual({ memberships: { written: expect.any(Number), removed: expect.any(Number) } });
    expect(JSON.parse(migrated.stdout).memberships.written).toBeGreaterThanOrEqual(1);
    expect((await admin('GET', '/v1/me', { jwt })).body.organizations).toEqual([{ id: org.id, name: 'migrated', role: 'admin' }]);

    const again = await keyward('migrate');
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Memberships: \d+ written, \d+ removed/) });
    expect((await admin('GET', '/v1/me', { jwt })).body.organizations).toEqual([{ id: org.id, name: 'migrated', role: 'admin' }]);
  });

  it('refuses to work without a running stack or a table', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: join(stack.stateDir, 'nowhere') };
    delete env.KEYWARD_TABLE;
    const reply = await run(CLI, ['token', '--email', 'a@acme.test'], { env }).catch((error: { code: number; stderr: string }) => error);
    expect(reply).toMatchObject({ code: 1, stderr: expect.stringMatching(/npm start.*--table/s) });
  });
});
