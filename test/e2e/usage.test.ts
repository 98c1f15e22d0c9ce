import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deliveredDir, pendingDir } from '../../local/usage-shipper';
import { admin, consumer, newOrganization, stack, type TestOrganization } from './support';

/**
 * Usage you can see (API.md §9), end to end over HTTP: requests through the local gateway are
 * written to its access log, shipped as CloudWatch Logs batches to the real aggregator, and read
 * back from `GET …/usage`. A batch delivered again (a copy put back in the shipper's spool, as
 * Lambda's retry of the same invocation would) counts nothing.
 */

let org: TestOrganization;

beforeAll(async () => {
  org = await newOrganization('usage');
});

const usagePath = (query: string) => `/v1/organizations/${org.id}/usage?${query}`;

async function usage(
  query = 'granularity=hour',
): Promise<{ start: string; api_key_id: string; allowed: number; denied: Record<string, number>; throttled: number }[]> {
  const reply = await admin('GET', usagePath(query), { jwt: org.jwt });
  expect(reply.status).toBe(200);
  return reply.body.usage;
}

const totals = (buckets: Awaited<ReturnType<typeof usage>>) =>
  buckets.reduce(
    (sum, bucket) => ({
      allowed: sum.allowed + bucket.allowed,
      denied: sum.denied + Object.values(bucket.denied).reduce((a, b) => a + b, 0),
      throttled: sum.throttled + bucket.throttled,
    }),
    { allowed: 0, denied: 0, throttled: 0 },
  );

/** Polls until `check` holds (the counts lag the requests by the shipper's second); fails with the last value. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await read();
  }
  return value;
}

const batchesDelivered = () => (existsSync(deliveredDir(stack.stateDir)) ? readdirSync(deliveredDir(stack.stateDir)).sort() : []);

/** The `keyward` bin against the local stack (as test/e2e/cli.test.ts runs it). */
async function keyward(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, KEYWARD_STATE_DIR: stack.stateDir };
  delete env.KEYWARD_STACK;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '..', '..', 'bin', 'keyward-cli.js'), ...args],
      {
        env,
        cwd: stack.stateDir,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('usage over HTTP', () => {
  const ALLOWED = 7;
  const DENIED = 3;

  it('counts N requests of a key exactly N times: allowed, denied by code; a request without a valid key is no key’s', async () => {
    // A read-only key: its writes are denied by the authorizer (403 with a code).
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'read only', permissions: { customer: ['read'] } } });
    expect(created.status).toBe(201);
    const readOnly = { id: created.body.api_key.id as string, value: created.body.api_key.value as string };

    for (let i = 0; i < ALLOWED; i++) expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
    const deniedReplies = [];
    for (let i = 0; i < DENIED; i++) deniedReplies.push(await consumer('POST', '/v1/customers', readOnly.value));
    expect(deniedReplies.map((reply) => reply.status)).toEqual([403, 403, 403]);
    // No key's request: an unknown key (401) and a path outside the route table (403 before any authorizer).
    expect((await consumer('GET', '/v1/customers', `kw_${'A'.repeat(36)}`)).status).toBe(401);
    expect((await consumer('GET', '/v1/unknown-route', org.key)).status).toBe(403);

    const counted = await eventually(usage, (buckets) => totals(buckets).allowed + totals(buckets).denied >= ALLOWED + DENIED);
    expect(totals(counted)).toEqual({ allowed: ALLOWED, denied: DENIED, throttled: 0 });
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const byKey = (key: string) => counted.filter((bucket) => bucket.api_key_id === key);
    expect(totals(byKey(org.keyId))).toEqual({ allowed: ALLOWED, denied: 0, throttled: 0 });
    expect(byKey(readOnly.id).map((bucket) => bucket.denied)).toEqual([{ write_action_not_allowed_for_customer: DENIED }]);
    expect(counted.map((bucket) => bucket.start)).toContain(hour);

    // The daily buckets hold the same requests; the key filter keeps one key's; an unknown key has none.
    expect(totals(await usage('granularity=day'))).toEqual({ allowed: ALLOWED, denied: DENIED, throttled: 0 });
    expect(totals(await usage(`granularity=hour&api_key_id=${readOnly.id}`))).toEqual({ allowed: 0, denied: DENIED, throttled: 0 });
    expect(await usage('granularity=hour&api_key_id=01JDQ3V8Z6M1X0K9B7C5N4P2R8')).toEqual([]);
  });

  it('counts a redelivered batch once', async () => {
    const before = totals(await usage());
    const delivered = batchesDelivered();
    expect(delivered.length).toBeGreaterThan(0);
    // Every batch delivered so far, delivered again: the aggregator finds their markers.
    for (const name of delivered) copyFileSync(join(deliveredDir(stack.stateDir), name), join(pendingDir(stack.stateDir), name));
    await eventually(
      async () => readdirSync(pendingDir(stack.stateDir)).filter((name) => name.endsWith('.json')),
      (pending) => pending.length === 0,
    );
    // One more request after the redelivery: it is counted, and nothing else was.
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);
    const after = await eventually(usage, (buckets) => totals(buckets).allowed > before.allowed);
    expect(totals(after)).toEqual({ ...before, allowed: before.allowed + 1 });
  });

  it('refuses a range wider than the granularity allows, and a malformed instant, with 422 naming the field', async () => {
    const wide = await admin('GET', usagePath('granularity=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z'), { jwt: org.jwt });
    expect(wide).toMatchObject({
      status: 422,
      body: { code: 'validation_errors', error_details: { from: [expect.stringContaining('31 days')] } },
    });
    const malformed = await admin('GET', usagePath('from=yesterday'), { jwt: org.jwt });
    expect(malformed).toMatchObject({
      status: 422,
      body: { error_details: { from: expect.arrayContaining([expect.stringContaining('ISO-8601')]) } },
    });
    const granularity = await admin('GET', usagePath('granularity=minute'), { jwt: org.jwt });
    expect(granularity).toMatchObject({ status: 422, body: { error_details: { granularity: ['must be hour or day'] } } });
  });

  it('`keyward usage` prints the same figures (--json: the API’s body), and refuses bad input with exit 2', async () => {
    const api = await usage('granularity=day');
    const json = await keyward('usage', '--org', org.id, '--granularity', 'day', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ usage: api });
    const human = await keyward('usage', '--org', org.id, '--key', org.keyId);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Start\s+Key\s+Allowed\s+Denied\s+Throttled\s+Denied by code/);
    expect(human.stdout).toContain(org.keyId);
    expect((await keyward('usage', '--org', org.id, '--granularity', 'week')).code).toBe(2);
    const badFrom = await keyward('usage', '--org', org.id, '--from', 'yesterday');
    expect(badFrom).toMatchObject({ code: 2, stderr: expect.stringContaining('from:') });
    expect((await keyward('usage', '--org', 'no-such-org')).code).toBe(1);
  }, 60_000);

  it('is for the organization’s admins only', async () => {
    const other = await newOrganization('usage-other');
    const reply = await admin('GET', usagePath('granularity=hour'), { jwt: other.jwt });
    expect(reply.status).toBe(404);
  });
});
