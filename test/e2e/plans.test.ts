import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { admin, consumer, newOrganization, stack, type TestOrganization } from './support';

/**
 * API.md §9 plans over real HTTP on the local gateway, with the e2e stack's plans file
 * (test/e2e/fixtures/plans.json, named by KEYWARD_PLANS_FILE): `tiny` (burst 3, refilling one
 * request per ~17 minutes) and `capped` (5 requests a month), moved between with the real CLI.
 */
const CLI = join(__dirname, '..', '..', 'bin', 'keyward-cli.js');
const run = promisify(execFile);

async function keyward(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: stack.stateDir };
  delete env.KEYWARD_STACK;
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, cwd: stack.stateDir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const THROTTLED = { status: 429, error: 'Too Many Requests', code: 'throttled' };
const QUOTA_EXCEEDED = { status: 429, error: 'Too Many Requests', code: 'quota_exceeded' };

describe('plans on the local gateway', () => {
  let org: TestOrganization;

  beforeEach(async () => {
    org = await newOrganization('plans');
  });

  const settings = async () => (await admin('GET', `/v1/organizations/${org.id}/settings`, { jwt: org.jwt })).body.settings;

  it('puts a new organization on the default plan, shown in the settings', async () => {
    expect(await settings()).toMatchObject({
      plan: 'standard',
      limits: { rate: 1000, burst: 2000, quota: null },
      quota_used: null,
    });
  });

  it('answers the burst, then 429 throttled before the backend; the whole organization shares the bucket', async () => {
    const moved = await keyward('org', 'set-plan', '--org', org.id, '--plan', 'tiny', '--json');
    expect(moved.code).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ plan: 'tiny', limits: { rate: 0.001, burst: 3, quota: null } });
    const second = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'second' } });

    const statuses = [];
    for (const key of [org.key, second.body.api_key.value, org.key]) statuses.push((await consumer('GET', '/v1/customers', key)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const over = await consumer('GET', '/v1/customers', second.body.api_key.value);
    expect(over.status).toBe(429);
    expect(over.body).toEqual(THROTTLED);
    // A request the authorizer refuses is answered by it, whatever the plan.
    expect((await consumer('GET', '/v1/customers', 'kw_not-a-key')).status).toBe(401);
  });

  it('counts the quota, answers 429 quota_exceeded once it is used, and shows quota_used', async () => {
    expect((await keyward('org', 'set-plan', '--org', org.id, '--plan', 'capped')).code).toBe(0);
    for (let i = 0; i < 5; i++) expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
    const over = await consumer('GET', '/v1/customers', org.key);
    expect(over.status).toBe(429);
    expect(over.body).toEqual(QUOTA_EXCEEDED);
    expect(await settings()).toMatchObject({
      plan: 'capped',
      limits: { rate: 1000, burst: 1000, quota: { limit: 5, period: 'month' } },
      quota_used: 5,
    });
  });

  it('applies a plan change to the next request, audited organization.plan_changed', async () => {
    await keyward('org', 'set-plan', '--org', org.id, '--plan', 'tiny');
    for (let i = 0; i < 3; i++) await consumer('GET', '/v1/customers', org.key);
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(429);

    expect((await keyward('org', 'set-plan', '--org', org.id, '--plan', 'standard')).code).toBe(0);
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
    expect((await settings()).plan).toBe('standard');

    const events = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    const changes = events.body.audit_events.filter((event: { type: string }) => event.type === 'organization.plan_changed');
    expect(changes.map((event: { details: unknown; actor: { type: string } }) => [event.details, event.actor.type])).toEqual([
      [{ plan: 'standard', previous_plan: 'tiny' }, 'operator'],
      [{ plan: 'tiny', previous_plan: 'standard' }, 'operator'],
    ]);
  });

  it('refuses an unknown plan with exit code 2, changing nothing', async () => {
    const refused = await keyward('org', 'set-plan', '--org', org.id, '--plan', 'platinum');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/platinum.*not a plan/);
    expect((await settings()).plan).toBe('standard');
  });
});
