import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { EventBridgeRetirementScheduler } from '../../../lambdas/adapters/eventbridge-retirement-scheduler';
import { LocalRetirementScheduler } from '../../../lambdas/adapters/local-retirement-scheduler';
import { ManualClock } from '../../../lambdas/domain/clock';
import { DAY_MS } from '../../../lambdas/domain/expiry';
import type { Services } from '../../../lambdas/runtime/services';
import { createRemindHandler, createRetireHandler, type RemindHandler, type RetireHandler } from '../../../lambdas/service/job-handlers';
import { createTestTable } from '../../support/dynamodb';
import { SCHEDULER_OPTIONS } from '../../support/fakes';
import { testServices } from '../../support/services';

/**
 * Expiring keys, the lifetime policy and reminders on DynamoDB Local (API.md §8): the rules the
 * store's transactions keep, the lifecycle jobs each change leaves behind (the local scheduler's
 * files, named as the schedules are in AWS), and the races between changes and jobs.
 */

const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;
const START = '2036-11-26T04:00:00.000Z';
const TRIALS = 6;

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoDbKeyStore;
let services: Services;
let scheduleDir: string;
let retire: RetireHandler;
let remind: RemindHandler;
const clock = new ManualClock(START);
/** The jobs' clock: they run when their time has come, while the admins' clock may still be before it. */
const jobClock = new ManualClock(START);
let orgCounter = 0;

beforeAll(async () => {
  table = await createTestTable();
  store = new DynamoDbKeyStore(
    DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
    table.tableName,
  );
  scheduleDir = mkdtempSync(join(tmpdir(), 'keyward-lifecycle-'));
  services = testServices(store, clock, new LocalRetirementScheduler(scheduleDir, { clock }));
  retire = createRetireHandler({ store, clock: jobClock });
  remind = createRemindHandler({ store, clock: jobClock });
});

afterAll(async () => {
  await table.drop();
  rmSync(scheduleDir, { recursive: true, force: true });
});

beforeEach(() => {
  clock.set(START);
  jobClock.set(START);
});

async function organization(): Promise<{ id: string; firstKey: string }> {
  const id = `life-${++orgCounter}`;
  const created = await services.organizations.create({ name: id, id, admins: [ADMIN.email] });
  return { id, firstKey: created.api_key.id };
}

/** The payloads of the key's pending jobs, by kind. */
function jobsOf(apiKeyId: string): { retire: { expires_at: string }[]; remind: { expires_at: string; mark_days: number }[] } {
  const files = readdirSync(scheduleDir).filter((file) => file.includes(apiKeyId));
  const read = (kind: string) =>
    files.filter((file) => file.startsWith(`${kind}-`)).map((file) => JSON.parse(readFileSync(join(scheduleDir, file), 'utf8')));
  return { retire: read('retire'), remind: read('remind') };
}

async function eventTypes(organizationId: string, apiKeyId?: string): Promise<string[]> {
  const page = await store.listAuditEvents(organizationId, { limit: 100 });
  return page.items.filter((event) => apiKeyId === undefined || event.apiKeyId === apiKeyId).map((event) => event.type);
}

const inDays = (days: number, from = START) => new Date(Date.parse(from) + days * DAY_MS).toISOString();

describe('expiring keys', () => {
  it('creates a key that expires, with its retirement job and the reminders still ahead', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '30d' });

    expect(key.expires_at).toBe(inDays(30));
    expect(jobsOf(key.id).retire).toEqual([{ organization_id: id, api_key_id: key.id, expires_at: inDays(30) }]);
    expect(
      jobsOf(key.id)
        .remind.map((job) => `${job.mark_days}d before ${job.expires_at}`)
        .sort(),
    ).toEqual([`1d before ${inDays(30)}`, `7d before ${inDays(30)}`]);
    const stored = await store.getKey(id, key.id);
    expect(stored?.expirySource).toBe('request');
    // The authorizer's one read carries the expiry, so it refuses the key from that instant.
    expect((await store.findByHash(stored!.tokenHash))?.expiresAt).toBe(inDays(30));
  });

  it('schedules only the reminder marks still ahead (a key expiring in 48 h gets the 1-day mark)', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '48h' });
    expect(jobsOf(key.id).remind.map((job) => job.mark_days)).toEqual([1]);
  });

  it('retires it at its expiry with api_key.expired (not api_key.retired), and it leaves the list', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '1h' });
    jobClock.set(key.expires_at!);

    await expect(retire({ organization_id: id, api_key_id: key.id, expires_at: key.expires_at })).resolves.toBe('retired');

    expect(await store.getKey(id, key.id)).toBeUndefined();
    expect(await eventTypes(id, key.id)).toEqual(['api_key.expired', 'api_key.created']);
    const listed = await services.keys.list(id, { limit: 100 });
    expect(listed.items.map((listedKey) => listedKey.id)).not.toContain(key.id);
  });

  it('refuses an expiry on the last non-expiring key, and counts the key again once its expiry is cleared', async () => {
    const { id, firstKey } = await organization();
    const future = inDays(10);

    await expect(services.keys.update(id, ADMIN, firstKey, { expires_at: future })).rejects.toMatchObject({
      code: 'last_non_expiring_api_key',
    });
    expect(jobsOf(firstKey)).toEqual({ retire: [], remind: [] });

    const expiring = await services.keys.create(id, ADMIN, { expires_in: '7d' });
    await expect(services.keys.delete(id, ADMIN, firstKey)).rejects.toMatchObject({ code: 'last_non_expiring_api_key' });
    await services.keys.update(id, ADMIN, expiring.id, { expires_at: null });
    expect(jobsOf(expiring.id)).toEqual({ retire: [], remind: [] });
    expect((await store.findByHash((await store.getKey(id, expiring.id))!.tokenHash))?.expiresAt).toBeNull();

    // Now the cleared key counts: the first key may expire, and then the cleared one is the last.
    await services.keys.update(id, ADMIN, firstKey, { expires_at: future });
    await expect(services.keys.update(id, ADMIN, expiring.id, { expires_at: future })).rejects.toMatchObject({
      code: 'last_non_expiring_api_key',
    });
  });

  it('moves an expiry: the new jobs replace the old ones, and a stale job does nothing', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '30d' });
    const before = jobsOf(key.id);

    const moved = await services.keys.update(id, ADMIN, key.id, { expires_at: inDays(20) });

    expect(moved.expires_at).toBe(inDays(20));
    expect(moved.version).toBe(key.version + 1);
    const hot = await store.findByHash((await store.getKey(id, key.id))!.tokenHash);
    expect(hot?.expiresAt).toBe(inDays(20));
    expect(jobsOf(key.id).retire).toEqual([{ organization_id: id, api_key_id: key.id, expires_at: inDays(20) }]);
    expect(jobsOf(key.id).remind.every((job) => job.expires_at === inDays(20))).toBe(true);
    // The old jobs, had they fired anyway (a removal that failed): the key no longer matches them.
    jobClock.set(inDays(30));
    await expect(retire(before.retire[0])).resolves.toBe('rotation_changed');
    await expect(remind(before.remind[0])).resolves.toBe('expiry_changed');
    expect(await store.getKey(id, key.id)).toBeDefined();
  });

  it('refuses a PATCH of expires_at on the old key of a pending rotation, in the contract’s error shape', async () => {
    const { id, firstKey } = await organization();
    await services.keys.create(id, ADMIN, {});
    await services.keys.rotate(id, ADMIN, firstKey, { expires_in: '1h' });
    await expect(services.keys.update(id, ADMIN, firstKey, { expires_at: null })).rejects.toMatchObject({
      status: 422,
      code: 'rotation_already_scheduled',
    });
  });

  it('rotates a key with its own expiry: the old key stops at the earlier instant, its old jobs go', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '24h' });
    const oldJobs = jobsOf(key.id);

    const rotated = await services.keys.rotate(id, ADMIN, key.id, { expires_in: '48h' });

    expect(rotated.rotated_api_key.expires_at).toBe(key.expires_at);
    expect(rotated.api_key.expires_at).toBeNull();
    const stored = await store.getKey(id, key.id);
    expect(stored).toMatchObject({ expiresAt: key.expires_at, expirySource: 'rotation' });
    expect(jobsOf(key.id).retire).toHaveLength(1);
    expect(stored!.retirementJobId).not.toBeNull();
    jobClock.set(key.expires_at!);
    await expect(retire(oldJobs.retire[0])).resolves.toBe('retired');
    expect(await eventTypes(id, key.id)).toContain('api_key.retired');
  });
});

describe('organization settings and the lifetime policy', () => {
  it('answers the defaults, audits a change, and gives new keys created_at + max', async () => {
    const { id, firstKey } = await organization();
    expect((await services.settings.get(id)).settings).toEqual({
      max_key_lifetime_days: null,
      expiry_reminder_days: [7, 1],
      leaked_key_action: 'rotate',
      plan: 'standard',
      limits: { rate: 100, burst: 200, quota: null },
      quota_used: null,
    });
    // Audit events sort by their ULID: the change comes a moment after the organization's creation.
    clock.advance(1000);

    const updated = await services.settings.update(id, ADMIN, { max_key_lifetime_days: 90, expiry_reminder_days: [1, 14] });

    expect(updated.settings).toEqual({
      max_key_lifetime_days: 90,
      expiry_reminder_days: [14, 1],
      leaked_key_action: 'rotate',
      plan: 'standard',
      limits: { rate: 100, burst: 200, quota: null },
      quota_used: null,
    });
    const [event] = (await store.listAuditEvents(id, { limit: 1 })).items;
    expect(event).toMatchObject({
      type: 'organization.settings_updated',
      apiKeyId: null,
      actor: ADMIN,
      details: { max_key_lifetime_days: 90, expiry_reminder_days: [14, 1], previous: { max_key_lifetime_days: null } },
    });
    // Existing keys keep their expiry; a new one gets the policy's, and its reminder jobs.
    expect((await services.keys.get(id, firstKey)).expires_at).toBeNull();
    const key = await services.keys.create(id, ADMIN, {});
    expect(key.expires_at).toBe(inDays(90, clock.now().toISOString()));
    expect(
      jobsOf(key.id)
        .remind.map((job) => job.mark_days)
        .sort(),
    ).toEqual([1, 14]);
    await expect(services.keys.create(id, ADMIN, { expires_in: '365d' })).rejects.toMatchObject({ code: 'key_lifetime_exceeds_policy' });
    // Clearing the policy restores keys without expiry.
    await services.settings.update(id, ADMIN, { max_key_lifetime_days: null });
    expect((await services.keys.create(id, ADMIN, {})).expires_at).toBeNull();
  });

  it('counts a key whose only expiry is the policy’s as non-expiring, and still retires it (api_key.expired)', async () => {
    const { id, firstKey } = await organization();
    await services.settings.update(id, ADMIN, { max_key_lifetime_days: 1 });
    const byPolicy = await services.keys.create(id, ADMIN, {});

    // The policy key is non-expiring for the rule, so the first key may now be deleted…
    await services.keys.delete(id, ADMIN, firstKey);
    // …and the policy key, the last one, may not.
    await expect(services.keys.delete(id, ADMIN, byPolicy.id)).rejects.toMatchObject({ code: 'last_non_expiring_api_key' });

    // A rotation's new key gets the policy's expiry too.
    const rotated = await services.keys.rotate(id, ADMIN, byPolicy.id, { expires_in: 'now' });
    expect(rotated.api_key.expires_at).toBe(inDays(1));

    jobClock.set(inDays(1));
    await expect(retire({ organization_id: id, api_key_id: rotated.api_key.id, expires_at: inDays(1) })).resolves.toBe('retired');
    expect(await eventTypes(id, rotated.api_key.id)).toContain('api_key.expired');
  });
});

describe('reminders', () => {
  it('records each mark once per key and expiry, across repeated and retried jobs', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '30d' });
    const [job] = jobsOf(key.id).remind.filter((reminder) => reminder.mark_days === 7);
    jobClock.set(inDays(23));

    const outcomes = await Promise.all([remind(job), remind(job), remind(job)]);

    expect(outcomes.sort()).toEqual(['already_reminded', 'already_reminded', 'reminded']);
    const reminders = (await store.listAuditEvents(id, { limit: 100 })).items.filter(
      (event) => event.type === 'api_key.expiry_reminder_sent',
    );
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({ apiKeyId: key.id, actor: { type: 'system' }, details: { mark_days: 7, expires_at: inDays(30) } });
    await expect(remind(job)).resolves.toBe('already_reminded');
  });

  it('reminds when its schedule fires early, in the minute of its at() before the mark, without waiting or failing', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_at: '2036-12-26T04:25:18.402Z' });
    const input = new EventBridgeRetirementScheduler({ ...SCHEDULER_OPTIONS, clock }).createReminderInput({
      organizationId: id,
      apiKeyId: key.id,
      expiresAt: key.expires_at!,
      id: 'job',
      markDays: 7,
    });
    expect(input.ScheduleExpression).toBe('at(2036-12-19T04:25:19)');
    jobClock.set('2036-12-19T04:25:00.000Z');

    await expect(remind(JSON.parse(input.Target!.Input!))).resolves.toBe('reminded');

    const [reminder] = (await store.listAuditEvents(id, { limit: 100 })).items.filter(
      (event) => event.type === 'api_key.expiry_reminder_sent',
    );
    expect(reminder).toMatchObject({ occurredAt: '2036-12-19T04:25:00.000Z', details: { mark_days: 7, expires_at: key.expires_at } });
  });

  it('re-arms the marks ahead when the expiry moves, and a reminder of the old expiry does nothing', async () => {
    const { id } = await organization();
    const key = await services.keys.create(id, ADMIN, { expires_in: '30d' });
    const [oldJob] = jobsOf(key.id).remind.filter((reminder) => reminder.mark_days === 7);
    jobClock.set(inDays(23));
    await expect(remind(oldJob)).resolves.toBe('reminded');

    clock.set(inDays(23));
    await services.keys.update(id, ADMIN, key.id, { expires_at: inDays(40) });
    const [newJob] = jobsOf(key.id).remind.filter((reminder) => reminder.mark_days === 7);

    await expect(remind(oldJob)).resolves.toBe('expiry_changed');
    jobClock.set(inDays(33));
    await expect(remind(newJob)).resolves.toBe('reminded');
    await expect(remind(newJob)).resolves.toBe('already_reminded');
    expect((await eventTypes(id, key.id)).filter((type) => type === 'api_key.expiry_reminder_sent')).toHaveLength(2);
  });

  it('reminds before a scheduled rotation’s expiry too, and removes the reminders with a deleted key', async () => {
    const { id, firstKey } = await organization();
    await services.keys.rotate(id, ADMIN, firstKey, { expires_in: '7d' });
    expect(jobsOf(firstKey).remind.map((job) => job.mark_days)).toEqual([1]);

    await services.keys.delete(id, ADMIN, firstKey);

    expect(jobsOf(firstKey)).toEqual({ retire: [], remind: [] });
  });
});

describe('races (DynamoDB Local)', () => {
  it('moving an expiry while its job fires: either the key is retired or it keeps the new expiry, never both', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { id } = await organization();
      const key = await services.keys.create(id, ADMIN, { expires_in: '1h' });
      clock.set(new Date(Date.parse(key.expires_at!) - 1).toISOString());
      jobClock.set(key.expires_at!);
      const [moved, retired] = await Promise.allSettled([
        services.keys.update(id, ADMIN, key.id, { expires_at: inDays(2) }),
        retire({ organization_id: id, api_key_id: key.id, expires_at: key.expires_at }),
      ]);
      const stored = await store.getKey(id, key.id);
      const types = await eventTypes(id, key.id);
      if (stored) {
        expect([moved.status, retired.status === 'fulfilled' && retired.value]).toEqual(['fulfilled', 'rotation_changed']);
        expect(stored.expiresAt).toBe(inDays(2));
        expect(types).not.toContain('api_key.expired');
      } else {
        expect(retired).toEqual({ status: 'fulfilled', value: 'retired' });
        expect(moved.status).toBe('rejected');
        expect(types.filter((type) => type === 'api_key.expired')).toHaveLength(1);
        expect(types).not.toContain('api_key.updated');
      }
      clock.set(START);
    }
  });

  it('delete vs expiry: exactly one of api_key.deleted and api_key.expired', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { id } = await organization();
      const key = await services.keys.create(id, ADMIN, { expires_in: '1h' });
      jobClock.set(key.expires_at!);
      await Promise.allSettled([
        services.keys.delete(id, ADMIN, key.id),
        retire({ organization_id: id, api_key_id: key.id, expires_at: key.expires_at }),
      ]);
      expect(await store.getKey(id, key.id)).toBeUndefined();
      const ends = (await eventTypes(id, key.id)).filter((type) => type === 'api_key.deleted' || type === 'api_key.expired');
      expect(ends).toHaveLength(1);
      const organizationItem = await store.keyCount(id);
      expect(organizationItem).toBe(1);
    }
  });

  it('two PATCHes of expires_at: both apply in turn, and only the final expiry’s jobs remain', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { id } = await organization();
      const key = await services.keys.create(id, ADMIN, { expires_in: '30d' });
      const targets = [inDays(10), inDays(20)];
      const results = await Promise.all(targets.map((expiresAt) => services.keys.update(id, ADMIN, key.id, { expires_at: expiresAt })));

      const stored = await store.getKey(id, key.id);
      expect(stored!.version).toBe(key.version + 2);
      expect(targets).toContain(stored!.expiresAt);
      expect(results.map((result) => result.version).sort()).toEqual([key.version + 1, key.version + 2]);
      expect(jobsOf(key.id).retire).toEqual([{ organization_id: id, api_key_id: key.id, expires_at: stored!.expiresAt }]);
      expect(jobsOf(key.id).remind.every((job) => job.expires_at === stored!.expiresAt)).toBe(true);
    }
  });

  it('two admins setting an expiry on the last two non-expiring keys at once: exactly one succeeds', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { id, firstKey } = await organization();
      const second = await services.keys.create(id, ADMIN, {});
      const outcomes = await Promise.allSettled(
        [firstKey, second.id].map((apiKeyId) => services.keys.update(id, ADMIN, apiKeyId, { expires_at: inDays(3) })),
      );
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: 'last_non_expiring_api_key' });
      const expiring = (await services.keys.list(id, { limit: 100 })).items.filter((listed) => listed.expires_at !== null);
      expect(expiring).toHaveLength(1);
      // The refused change left no job behind.
      const refusedKey = [firstKey, second.id].find((apiKeyId) => apiKeyId !== expiring[0]!.id)!;
      expect(jobsOf(refusedKey)).toEqual({ retire: [], remind: [] });
    }
  });
});
