import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyView, ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import type { Permissions } from '../../../lambdas/domain/permissions';
import { hashToken } from '../../../lambdas/domain/token';
import { LOCAL_AWS } from '../../../local/dynamodb-local';
import { HandlerHarness } from './harness';

/**
 * Races on DynamoDB Local through the real handlers (API.md §3 "Concurrent changes", "A rejected
 * request changes nothing"). Each race runs 40 times: before optimistic concurrency, the lost
 * narrowing showed up in 17 of 40 PATCH/PATCH trials and 25 of 40 PATCH/rotate trials. Every test
 * collects what went wrong per trial and asserts the list is empty, so a failure says how often.
 */
const TRIALS = 40;
const WIDE: Permissions = { customer: ['read', 'write'], invoice: ['read', 'write'] };
const NARROW: Permissions = { customer: ['read'] };

interface RotateBody {
  api_key: ApiKeyWithValue;
  rotated_api_key: ApiKeyView;
}

let harness: HandlerHarness;
let raw: DynamoDBDocumentClient;
let counter = 0;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  raw = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: process.env.DYNAMODB_ENDPOINT }));
});
afterAll(async () => {
  raw.destroy();
  await harness.stop();
});

const newOrganization = () => harness.seedOrganization(`race-${++counter}`);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

async function createKey(organizationId: string, body: Record<string, unknown> = {}): Promise<ApiKeyWithValue> {
  const response = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', { organizationId, body });
  expect(response.statusCode).toBe(201);
  return response.body.api_key;
}

/** The retirement jobs the local scheduler holds for an organization: `<key id> <expires_at>`. */
/** The organization's job files: retirements only (one per pending rotation), or every lifecycle job (reminders too). */
function jobsOf(organizationId: string, kinds: 'retirements' | 'all' = 'retirements'): string[] {
  const dir = process.env.LOCAL_SCHEDULE_DIR!;
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && !file.startsWith('.') && (kinds === 'all' || file.startsWith('retire-')))
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as { organization_id: string; api_key_id: string; expires_at: string })
    .filter((job) => job.organization_id === organizationId)
    .map((job) => `${job.api_key_id} ${job.expires_at}`)
    .sort();
}

/** The rotations an organization has pending, in the same form as `jobsOf`. */
async function pendingOf(organizationId: string): Promise<string[]> {
  return (await harness.listKeys(organizationId))
    .filter((key) => key.expires_at !== null)
    .map((key) => `${key.id} ${key.expires_at}`)
    .sort();
}

/** What the organization item counts, next to what it holds: the invariants are conditions on these counters. */
async function countersOf(organizationId: string) {
  const { Item: org } = await raw.send(
    new GetCommand({ TableName: process.env.TABLE_NAME!, Key: { pk: `ORG#${organizationId}`, sk: 'ORG' }, ConsistentRead: true }),
  );
  const keys = await harness.listKeys(organizationId);
  return {
    counted: { keys: org?.key_count, nonExpiring: org?.active_key_count },
    held: { keys: keys.length, nonExpiring: keys.filter((key) => key.expires_at === null).length },
  };
}

function expectNoFailures(failures: string[]): void {
  expect({ trials: TRIALS, failed: failures.length, failures }).toEqual({ trials: TRIALS, failed: 0, failures: [] });
}

describe('races on one key', () => {
  it('PATCH {name} and PATCH {permissions} sent together both stick', async () => {
    const org = await newOrganization();
    const failures: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const key = await createKey(org.id, { name: 'before', permissions: WIDE });
      const name = `after ${trial}`;
      const target = { organizationId: org.id, apiKeyId: key.id };
      const replies = await Promise.all([
        harness.call('update-api-key', { ...target, body: { name } }),
        harness.call('update-api-key', { ...target, body: { permissions: NARROW } }),
      ]);
      const statuses = replies.map((reply) => reply.statusCode);
      const stored = await harness.store.getKey(org.id, key.id);
      const hot = await harness.store.findByHash(hashToken(key.value));
      if (!same(statuses, [200, 200])) failures.push(`trial ${trial}: statuses ${statuses}`);
      if (stored?.name !== name) failures.push(`trial ${trial}: rename lost (name ${JSON.stringify(stored?.name)})`);
      if (!same(stored?.permissions, NARROW) || !same(hot?.permissions, NARROW)) {
        failures.push(
          `trial ${trial}: narrowing lost (key ${JSON.stringify(stored?.permissions)}, hot item ${JSON.stringify(hot?.permissions)})`,
        );
      }
    }
    expectNoFailures(failures);
  });

  it.each([
    ['an instant', { expires_in: 'now' }],
    ['a scheduled', { expires_in: '1h' }],
  ])('%s rotation racing a permission narrowing never gives the new key the wider permissions', async (kind, rotation) => {
    const org = await newOrganization();
    const failures: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const key = await createKey(org.id, { name: 'racing', permissions: WIDE });
      const target = { organizationId: org.id, apiKeyId: key.id };
      const [narrowed, rotated] = await Promise.all([
        harness.call<{ api_key: ApiKeyView }>('update-api-key', { ...target, body: { permissions: NARROW } }),
        harness.call<RotateBody>('rotate-api-key', { ...target, body: rotation }),
      ]);
      if (rotated.statusCode !== 200) {
        failures.push(`trial ${trial}: rotate answered ${rotated.statusCode}`);
        continue;
      }
      // 404: the instant rotation came first and removed the key. 422: the scheduled rotation came
      // first, and its old key can no longer be changed. 200: the PATCH came first, so the new key
      // must carry the narrowing.
      // 422 rotation_already_scheduled: the scheduled rotation came first, and its old key is frozen (API.md §3).
      const narrowedFirst = narrowed.statusCode === 200 && narrowed.body.api_key.expires_at === null;
      const frozen = narrowed.statusCode === 422 && (narrowed.body as { code?: string }).code === 'rotation_already_scheduled';
      if (![200, 404].includes(narrowed.statusCode) && !(kind === 'a scheduled' && frozen)) {
        failures.push(`trial ${trial}: PATCH answered ${narrowed.statusCode}`);
      }
      if (narrowed.statusCode === 200 && narrowed.body.api_key.expires_at !== null) {
        failures.push(`trial ${trial}: PATCH changed the old key of a pending rotation`);
      }
      const next = rotated.body.api_key;
      const stored = await harness.store.getKey(org.id, next.id);
      const hot = await harness.store.findByHash(hashToken(next.value));
      if (narrowedFirst && (!same(stored?.permissions, NARROW) || !same(hot?.permissions, NARROW) || !same(next.permissions, NARROW))) {
        failures.push(
          `trial ${trial}: narrowed first, yet the new key has ${JSON.stringify(stored?.permissions)} (hot item ${JSON.stringify(hot?.permissions)})`,
        );
      }
    }
    expectNoFailures(failures);
    expect(jobsOf(org.id)).toEqual(await pendingOf(org.id));
    expect((await pendingOf(org.id)).length).toBe(kind === 'a scheduled' ? TRIALS : 0);
  });

  it.each([
    ['an instant', { expires_in: 'now' }],
    ['a scheduled', { expires_in: '1h' }],
  ])('%s rotation racing a delete leaves consistent keys, counters, audit events and no stray job', async (kind, rotation) => {
    const org = await newOrganization();
    const failures: string[] = [];
    const committed = { rotated: 0, deleted: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const key = await createKey(org.id);
      const target = { organizationId: org.id, apiKeyId: key.id };
      const [rotated, deleted] = await Promise.all([
        harness.call<RotateBody>('rotate-api-key', { ...target, body: rotation }),
        harness.call('delete-api-key', target),
      ]);
      const statuses = `rotate ${rotated.statusCode}, delete ${deleted.statusCode}`;
      // Either order is fine; what matters is that each outcome is one of a serial order's.
      const serial =
        kind === 'an instant' ? ['rotate 200, delete 404', 'rotate 404, delete 200'] : ['rotate 200, delete 200', 'rotate 404, delete 200'];
      if (!serial.includes(statuses)) failures.push(`trial ${trial}: ${statuses}`);
      if (rotated.statusCode === 200) committed.rotated += 1;
      if (deleted.statusCode === 200) committed.deleted += 1;
      if (await harness.store.findByHash(hashToken(key.value))) failures.push(`trial ${trial}: the old key still resolves`);
      if (rotated.statusCode === 200 && !(await harness.store.findByHash(hashToken(rotated.body.api_key.value)))) {
        failures.push(`trial ${trial}: the new key does not resolve`);
      }
      const jobs = jobsOf(org.id);
      const pending = await pendingOf(org.id);
      if (!same(jobs, pending)) failures.push(`trial ${trial}: ${jobs.length} job(s) for ${pending.length} pending rotation(s)`);
    }
    expectNoFailures(failures);
    const counters = await countersOf(org.id);
    expect(counters.counted).toEqual(counters.held);
    const events = await harness.auditTypes(org.id);
    expect({
      rotated: events.filter((type) => type === 'api_key.rotated').length,
      deleted: events.filter((type) => type === 'api_key.deleted').length,
    }).toEqual(committed);
  });
});

describe('rejected scheduled rotations', () => {
  it('leave no retirement job behind: concurrent rotations of one key and rotations past the 100-key limit', async () => {
    const org = await newOrganization();
    // 98 keys, so exactly two scheduled rotations fit under the limit in each round.
    for (let batch = 0; batch < 97; batch += 10) {
      await Promise.all(Array.from({ length: Math.min(10, 97 - batch) }, () => createKey(org.id)));
    }
    const ROUNDS = 8;
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b, c] = (await harness.listKeys(org.id)).filter((key) => key.expires_at === null).slice(-3) as [
        ApiKeyView,
        ApiKeyView,
        ApiKeyView,
      ];
      const requests = [a, a, a, a, b, b, b, c, c, c].map((key, index) =>
        harness.call('rotate-api-key', {
          organizationId: org.id,
          apiKeyId: key.id,
          body: { expires_in: ['1h', '24h', '48h', '7d'][index % 4] },
        }),
      );
      const replies = await Promise.all(requests);
      const outcomes = replies.map((reply) => (reply.statusCode === 200 ? 'ok' : String(reply.body.code ?? reply.statusCode)));
      const refusals = outcomes.filter((outcome) => outcome !== 'ok');
      if (outcomes.filter((outcome) => outcome === 'ok').length !== 2) failures.push(`round ${round}: ${outcomes.join(', ')}`);
      for (const refusal of refusals) {
        if (!['rotation_already_scheduled', 'api_key_limit_reached'].includes(refusal))
          failures.push(`round ${round}: refused with ${refusal}`);
      }
      const jobs = jobsOf(org.id);
      const pending = await pendingOf(org.id);
      if (!same(jobs, pending)) failures.push(`round ${round}: ${jobs.length} job(s) for ${pending.length} pending rotation(s)`);

      // Deleting a key with a pending rotation removes its job as well.
      for (const key of (await harness.listKeys(org.id)).filter((k) => k.expires_at !== null)) {
        const deleted = await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: key.id });
        if (deleted.statusCode !== 200) failures.push(`round ${round}: delete answered ${deleted.statusCode}`);
      }
      const left = jobsOf(org.id, 'all');
      if (left.length > 0) failures.push(`round ${round}: ${left.length} job(s) left after deleting the rotating keys`);
    }
    expect({ rounds: ROUNDS, failed: failures.length, failures }).toEqual({ rounds: ROUNDS, failed: 0, failures: [] });
    expect(await harness.listKeys(org.id)).toHaveLength(98);
  });
});
