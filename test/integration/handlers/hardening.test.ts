import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKeyView, ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import type { Permissions } from '../../../lambdas/domain/permissions';
import { StaleState } from '../../../lambdas/domain/ports';
import { hashToken } from '../../../lambdas/domain/token';
import { HandlerHarness } from './harness';

/**
 * Issue 16, items 1, 2, 5, 6 and 10 (API.md §3, §8), through the real handlers on DynamoDB Local.
 * Each race runs enough trials to catch a defect that shows up in 2 of 12; every test collects
 * what went wrong per trial and asserts the list is empty, so a failure says how often.
 *
 * Before the fixes: settings PATCHes of different fields lost one of them (and the audit's
 * `previous` was shared); contention answered 500; a PATCH read just before a key's expiry and
 * written after it revived the key; an expired key could be rotated; a PATCH of the old key of a
 * scheduled rotation was accepted; an unknown key with a malformed If-Match was 422; a policy
 * expiry drifted from `created_at + max` by the request's milliseconds; no `expiry_source`.
 */
const TRIALS = 24;
const WIDE: Permissions = { customer: ['read', 'write'], invoice: ['read', 'write'] };
const NARROW: Permissions = { customer: ['read'] };
const DAY_MS = 24 * 60 * 60 * 1000;
/** The races make many requests each; DynamoDB Local on a busy machine needs more than the default 60 s. */
const RACE_TIMEOUT_MS = 240_000;

interface RotateBody {
  api_key: ApiKeyWithValue;
  rotated_api_key: ApiKeyView;
}
interface SettingsBody {
  settings: { max_key_lifetime_days: number | null; expiry_reminder_days: number[]; leaked_key_action: 'rotate' | 'notify' };
}

/** Every order of `items`. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => orders([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

let harness: HandlerHarness;
let counter = 0;
/** While set, every transaction the handlers send waits this long first: a slow write, so a read lands before an instant and its write after. */
let transactionDelayMs = 0;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  harness.handlerDynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      if (transactionDelayMs > 0 && context.commandName === 'TransactWriteCommand') {
        await sleep(transactionDelayMs);
      }
      return next(args);
    },
    { step: 'initialize', name: 'slowTransactions' },
  );
});
afterAll(() => harness.stop());
afterEach(() => {
  transactionDelayMs = 0;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const newOrganization = () => harness.seedOrganization(`hard-${++counter}`);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function expectNoFailures(trials: number, failures: string[]): void {
  expect({ trials, failed: failures.length, failures }).toEqual({ trials, failed: 0, failures: [] });
}

async function createKey(organizationId: string, body: Record<string, unknown> = {}): Promise<ApiKeyWithValue> {
  const response = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', { organizationId, body });
  expect(response.statusCode).toBe(201);
  return response.body.api_key;
}

async function settingsEvents(organizationId: string) {
  return (await harness.keys.listAuditEvents(organizationId, { limit: 100 })).items.filter(
    (event) => event.type === 'organization.settings_updated',
  );
}

/** `POST …/rotate` of a key, as the console sends it. */
function rotate(organizationId: string, apiKeyId: string, expiresIn: string) {
  return harness.call<RotateBody>('rotate-api-key', { organizationId, apiKeyId, body: { expires_in: expiresIn } });
}

/** The contract's 409 (API.md §3): a change that kept losing to concurrent ones. */
const CONFLICT = { status: 409, error: 'Conflict', code: 'conflict' };

/** A key that expires `ms` from now. */
async function expiringSoon(organizationId: string, ms: number, body: Record<string, unknown> = {}) {
  const expiresAt = new Date(Date.now() + ms).toISOString();
  return createKey(organizationId, { ...body, expires_at: expiresAt });
}

/** A key whose expires_at has just passed, not yet retired. */
async function justExpired(organizationId: string, body: Record<string, unknown> = {}) {
  const key = await expiringSoon(organizationId, 200, body);
  await sleep(Date.parse(key.expires_at!) - Date.now() + 20);
  return key;
}

/** How many keys each race across an expiry tries. */
const TRIALS_NEAR_EXPIRY = 12;

/**
 * A key expiring 400 ms from now, then `change` of it sent ~45 ms before its expiry with every
 * transaction held 120 ms: the handler reads before the expiry and its write reaches the table
 * after it, as a slow write would.
 */
async function changeAcrossExpiry<R>(organizationId: string, change: (key: ApiKeyWithValue) => Promise<R>) {
  const key = await expiringSoon(organizationId, 400);
  await sleep(Date.parse(key.expires_at!) - Date.now() - 45);
  transactionDelayMs = 120;
  try {
    return { key, reply: await change(key) };
  } finally {
    transactionDelayMs = 0;
  }
}

/** The lifecycle job files of one key. */
function jobsOfKey(apiKeyId: string): string[] {
  const dir = process.env.LOCAL_SCHEDULE_DIR!;
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && !file.startsWith('.'))
    .filter((file) => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { api_key_id: string }).api_key_id === apiKeyId);
}

/** What the settings add about the plan (API.md §9), on the default plans. */
const PLAN_FIELDS = { plan: 'standard', limits: { rate: 100, burst: 200, quota: null }, quota_used: null };

describe('item 1: organization settings have the same optimistic concurrency as keys', () => {
  it(
    'three PATCHes of different fields (leaked_key_action among them) sent together all stick, each audited with exactly what it replaced',
    async () => {
      const org = await newOrganization();
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const start: SettingsBody['settings'] = { max_key_lifetime_days: null, expiry_reminder_days: [7, 1], leaked_key_action: 'rotate' };
        await harness.call('update-organization-settings', { organizationId: org.id, body: start });
        const before = (await settingsEvents(org.id)).length;
        const lifetime = 30 + trial;
        const patches: Partial<SettingsBody['settings']>[] = [
          { max_key_lifetime_days: lifetime },
          { expiry_reminder_days: [3] },
          { leaked_key_action: 'notify' },
        ];
        const replies = await Promise.all(
          patches.map((body) => harness.call<SettingsBody>('update-organization-settings', { organizationId: org.id, body })),
        );
        const statuses = replies.map((reply) => reply.statusCode);
        if (!same(statuses, [200, 200, 200])) failures.push(`trial ${trial}: statuses ${statuses}`);
        const stored = await harness.call<SettingsBody>('get-organization-settings', { organizationId: org.id });
        // The key policy only: the plan fields (API.md §9) are not PATCHed.
        const { max_key_lifetime_days, expiry_reminder_days, leaked_key_action } = stored.body.settings;
        if (
          !same(
            { max_key_lifetime_days, expiry_reminder_days, leaked_key_action },
            { max_key_lifetime_days: lifetime, expiry_reminder_days: [3], leaked_key_action: 'notify' },
          )
        ) {
          failures.push(`trial ${trial}: a change was lost, settings ${JSON.stringify(stored.body.settings)}`);
        }
        const events = (await settingsEvents(org.id)).slice(0, (await settingsEvents(org.id)).length - before);
        const previous = events.map((event) => JSON.stringify(event.details.previous)).sort();
        // In whichever order they landed, each replaced what the ones before it wrote.
        const expected = orders(patches).map((order) => {
          let state = start;
          return order
            .map((patch) => {
              const previous = JSON.stringify(state);
              state = { ...state, ...patch };
              return previous;
            })
            .sort();
        });
        if (!expected.some((pair) => same(pair, previous))) failures.push(`trial ${trial}: audited previous ${previous.join(' | ')}`);
      }
      expectNoFailures(TRIALS, failures);
    },
    RACE_TIMEOUT_MS,
  );

  it('answers an ETag on GET and PATCH, and refuses a stale If-Match with 412, changing nothing', async () => {
    const org = await newOrganization();
    const read = await harness.call<SettingsBody>('get-organization-settings', { organizationId: org.id });
    expect(read.headers.etag).toMatch(/^"\d+"$/);
    const changed = await harness.call<SettingsBody>('update-organization-settings', {
      organizationId: org.id,
      headers: { 'If-Match': read.headers.etag! },
      body: { max_key_lifetime_days: 90 },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(read.headers.etag);
    const eventsBefore = (await settingsEvents(org.id)).length;

    const stale = await harness.call('update-organization-settings', {
      organizationId: org.id,
      headers: { 'If-Match': read.headers.etag! },
      body: { expiry_reminder_days: [2] },
    });
    expect(stale).toMatchObject({ statusCode: 412, body: { status: 412, error: 'Precondition Failed', code: 'precondition_failed' } });
    const after = await harness.call<SettingsBody>('get-organization-settings', { organizationId: org.id });
    expect(after.body.settings).toEqual({
      max_key_lifetime_days: 90,
      expiry_reminder_days: [7, 1],
      leaked_key_action: 'rotate',
      ...PLAN_FIELDS,
    });
    expect(after.headers.etag).toBe(changed.headers.etag);
    expect(await settingsEvents(org.id)).toHaveLength(eventsBefore);

    // A key change does not move the settings' version (the organization item's counters change meanwhile).
    await createKey(org.id);
    const current = await harness.call('update-organization-settings', {
      organizationId: org.id,
      headers: { 'If-Match': changed.headers.etag! },
      body: { expiry_reminder_days: [2] },
    });
    expect(current.statusCode).toBe(200);
  });
});

describe('item 2: a change that keeps losing to concurrent changes is 409 conflict, never a 5xx', () => {
  const CONCURRENT = 20;

  it(
    '20 concurrent PATCHes of one key: each 200 or 409 conflict, and only the 200s changed anything',
    async () => {
      const org = await newOrganization();
      const failures: string[] = [];
      const ROUNDS = 4;
      let conflicts = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const key = await createKey(org.id, { name: 'contended' });
        const replies = await Promise.all(
          Array.from({ length: CONCURRENT }, (_, index) =>
            harness.call('update-api-key', { organizationId: org.id, apiKeyId: key.id, body: { name: `writer ${index}` } }),
          ),
        );
        const ok = replies.filter((reply) => reply.statusCode === 200).length;
        for (const reply of replies.filter((r) => r.statusCode !== 200)) {
          if (!same(reply.body, CONFLICT)) {
            failures.push(`round ${round}: ${reply.statusCode} ${JSON.stringify(reply.body)}`);
          } else conflicts += 1;
        }
        const stored = await harness.store.getKey(org.id, key.id);
        const updates = (await harness.keys.listAuditEvents(org.id, { limit: 100 })).items.filter(
          (event) => event.type === 'api_key.updated' && event.api_key_id === key.id,
        );
        if (stored?.version !== 1 + ok) failures.push(`round ${round}: ${ok} answered 200, version ${stored?.version}`);
        if (updates.length !== ok) failures.push(`round ${round}: ${ok} answered 200, ${updates.length} update events`);
      }
      expectNoFailures(ROUNDS, failures);
      // The contention is real: at least some requests gave up (else the test proves nothing about 409).
      expect(conflicts).toBeGreaterThan(0);
    },
    RACE_TIMEOUT_MS,
  );

  it(
    '20 concurrent settings PATCHes: each 200 or 409 conflict',
    async () => {
      const org = await newOrganization();
      const replies = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, index) =>
          harness.call('update-organization-settings', { organizationId: org.id, body: { max_key_lifetime_days: index + 1 } }),
        ),
      );
      const unexpected = replies.filter((reply) => reply.statusCode !== 200 && !same(reply.body, CONFLICT));
      expect(unexpected.map((reply) => `${reply.statusCode} ${JSON.stringify(reply.body)}`)).toEqual([]);
      const ok = replies.filter((reply) => reply.statusCode === 200).length;
      expect(await settingsEvents(org.id)).toHaveLength(ok);
    },
    RACE_TIMEOUT_MS,
  );

  it(
    '20 concurrent membership changes: each done or refused with conflict',
    async () => {
      const org = await newOrganization();
      const outcomes = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, index) =>
          harness.orgs.addMember(org.id, `flip@${org.id}.test`, index % 2 === 0 ? 'admin' : 'member').then(
            () => 'done',
            (error: { code?: string; name?: string }) => error.code ?? error.name ?? 'unknown',
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome !== 'done' && outcome !== 'conflict')).toEqual([]);
    },
    RACE_TIMEOUT_MS,
  );
});

describe('item 5: a key past its expires_at is over', () => {
  it(
    'a PATCH {"expires_at":null} read ~45 ms before the expiry and written after it never revives the key',
    async () => {
      const org = await newOrganization();
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS_NEAR_EXPIRY; trial++) {
        const { key, reply: cleared } = await changeAcrossExpiry(org.id, (key) =>
          harness.call<{ api_key: ApiKeyView }>('update-api-key', { organizationId: org.id, apiKeyId: key.id, body: { expires_at: null } }),
        );
        const stored = await harness.store.getKey(org.id, key.id);
        const hot = await harness.store.findByHash(hashToken(key.value));
        if (stored?.expiresAt !== key.expires_at || hot?.expiresAt !== key.expires_at) {
          failures.push(`trial ${trial}: revived (${cleared.statusCode}), key expires_at ${stored?.expiresAt}, hot item ${hot?.expiresAt}`);
        }
        if (cleared.statusCode !== 422 || !same(cleared.body, expiredBody)) {
          failures.push(`trial ${trial}: answered ${cleared.statusCode} ${JSON.stringify(cleared.body)}`);
        }
      }
      expectNoFailures(TRIALS_NEAR_EXPIRY, failures);
    },
    RACE_TIMEOUT_MS,
  );

  const expiredBody = {
    status: 422,
    error: 'Unprocessable Entity',
    code: 'validation_errors',
    error_details: { expires_at: ['the key has already expired'] },
  };

  it('the store refuses a change or rotation that would land after the key expired, whatever version it read', async () => {
    const org = await newOrganization();
    const key = await expiringSoon(org.id, 60 * 60 * 1000, { permissions: NARROW });
    const read = (await harness.store.getKey(org.id, key.id))!;
    const actor = { type: 'user' as const, email: `admin@${org.id}.test` };
    const late = new Date(Date.parse(key.expires_at!) + 1).toISOString();
    const clear = { expiry: { expiresAt: null, expirySource: null, retirementJobId: null, reminderMarks: [] } };
    const event = harness.keys.event('api_key.updated', read, actor);
    await expect(harness.store.updateKey({ key: read, changes: clear, event, landsBy: late })).rejects.toBeInstanceOf(StaleState);
    const { key: next } = await harness.keys.mint(org.id, { name: null, permissions: WIDE });
    const rotation = { old: read, next, expiresAt: null, retirementJobId: null, event: harness.keys.event('api_key.rotated', read, actor) };
    await expect(harness.store.rotateKey({ ...rotation, landsBy: late })).rejects.toBeInstanceOf(StaleState);
    expect(await harness.store.getKey(org.id, key.id)).toEqual(read);
    expect(await harness.store.getKey(org.id, next.id)).toBeUndefined();
    // The same change landing before the expiry goes through.
    const early = new Date(Date.parse(key.expires_at!) - 1).toISOString();
    await expect(harness.store.updateKey({ key: read, changes: clear, event, landsBy: early })).resolves.toMatchObject({ expiresAt: null });
  });

  it('refuses every change of an expired key not yet retired (422), and changes nothing', async () => {
    const org = await newOrganization();
    const key = await justExpired(org.id, { name: 'short-lived', permissions: NARROW });
    const target = { organizationId: org.id, apiKeyId: key.id };
    for (const body of [
      { expires_at: null },
      { expires_at: new Date(Date.now() + DAY_MS).toISOString() },
      { name: 'x' },
      { permissions: WIDE },
    ]) {
      const reply = await harness.call('update-api-key', { ...target, body });
      expect({ body, reply: reply.body }).toEqual({ body, reply: expiredBody });
    }
    expect(await harness.store.getKey(org.id, key.id)).toMatchObject({
      name: 'short-lived',
      permissions: NARROW,
      expiresAt: key.expires_at,
      version: 1,
    });
  });

  it('refuses to rotate an expired key not yet retired: no successor, no job, the expiry path stays api_key.expired', async () => {
    const org = await newOrganization();
    const key = await justExpired(org.id);
    const jobsBefore = jobsOfKey(key.id);
    for (const rotation of [{ expires_in: 'now' }, { expires_in: '1h' }]) {
      const reply = await rotate(org.id, key.id, rotation.expires_in);
      expect({ rotation, reply: reply.body }).toEqual({ rotation, reply: expiredBody });
    }
    const keys = await harness.listKeys(org.id);
    expect(keys.map((k) => k.id).sort()).toEqual([org.firstKey.id, key.id].sort());
    expect(jobsOfKey(key.id)).toEqual(jobsBefore);
    expect(await harness.auditTypes(org.id)).not.toContain('api_key.rotated');
    expect(await harness.store.getKey(org.id, key.id)).toMatchObject({ expiresAt: key.expires_at, expirySource: 'request', version: 1 });
  });

  it(
    'a rotation read just before the expiry and written after it is refused, leaving no successor and no job',
    async () => {
      const org = await newOrganization();
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS_NEAR_EXPIRY; trial++) {
        const { key, reply: rotated } = await changeAcrossExpiry(org.id, (key) => rotate(org.id, key.id, trial % 2 === 0 ? 'now' : '1h'));
        if (rotated.statusCode !== 422) failures.push(`trial ${trial}: rotate answered ${rotated.statusCode}`);
        const stored = await harness.store.getKey(org.id, key.id);
        if (stored?.expiresAt !== key.expires_at || stored.expirySource !== 'request') {
          failures.push(
            `trial ${trial}: the expired key became ${JSON.stringify({ expiresAt: stored?.expiresAt, source: stored?.expirySource })}`,
          );
        }
      }
      expectNoFailures(TRIALS_NEAR_EXPIRY, failures);
      // Only the first key and the expired ones: no successor was minted.
      expect((await harness.listKeys(org.id)).filter((k) => k.expires_at === null).map((k) => k.id)).toEqual([org.firstKey.id]);
    },
    RACE_TIMEOUT_MS,
  );
});

describe('item 6: the old key of a pending rotation is frozen', () => {
  it('refuses any PATCH of it with 422 rotation_already_scheduled, changing nothing', async () => {
    const org = await newOrganization();
    const key = await createKey(org.id, { name: 'old', permissions: WIDE });
    const rotated = await rotate(org.id, key.id, '1h');
    expect(rotated.statusCode).toBe(200);
    const before = await harness.store.getKey(org.id, key.id);
    for (const body of [{ permissions: NARROW }, { name: 'renamed' }, { expires_at: null }]) {
      const reply = await harness.call('update-api-key', { organizationId: org.id, apiKeyId: key.id, body });
      expect({ body, reply: reply.body }).toEqual({
        body,
        reply: { status: 422, error: 'Unprocessable Entity', code: 'rotation_already_scheduled' },
      });
    }
    expect(await harness.store.getKey(org.id, key.id)).toEqual(before);
  });

  it(
    'PATCH {permissions} racing a scheduled rotation: a PATCH that answers 200 always narrowed the new key',
    async () => {
      const org = await newOrganization();
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const key = await createKey(org.id, { name: 'racing', permissions: WIDE });
        const target = { organizationId: org.id, apiKeyId: key.id };
        // Staggered, so the PATCH lands before, during and after the rotation's commit.
        const [narrowed, rotated] = await Promise.all([
          sleep((trial % 6) * 4).then(() =>
            harness.call<{ api_key: ApiKeyView }>('update-api-key', { ...target, body: { permissions: NARROW } }),
          ),
          rotate(org.id, key.id, '1h'),
        ]);
        if (rotated.statusCode !== 200) {
          failures.push(`trial ${trial}: rotate answered ${rotated.statusCode}`);
          continue;
        }
        const next = await harness.store.getKey(org.id, rotated.body.api_key.id);
        if (narrowed.statusCode === 200) {
          if (!same(next?.permissions, NARROW))
            failures.push(`trial ${trial}: PATCH 200 but the new key has ${JSON.stringify(next?.permissions)}`);
        } else if (narrowed.statusCode === 422 && (narrowed.body as { code?: string }).code === 'rotation_already_scheduled') {
          const old = await harness.store.getKey(org.id, key.id);
          if (!same(old?.permissions, WIDE)) failures.push(`trial ${trial}: refused, yet the old key changed`);
        } else failures.push(`trial ${trial}: PATCH answered ${narrowed.statusCode} ${JSON.stringify(narrowed.body)}`);
      }
      expectNoFailures(TRIALS, failures);
    },
    RACE_TIMEOUT_MS,
  );
});

describe('item 10: small contract mismatches', () => {
  it('an unknown key is 404 api_key_not_found whatever If-Match says, a malformed one included', async () => {
    const org = await newOrganization();
    const unknown = { organizationId: org.id, apiKeyId: '01JZZZZZZZZZZZZZZZZZZZZZZZ' };
    for (const [entry, body] of [
      ['update-api-key', { name: 'x' }],
      ['rotate-api-key', { expires_in: 'now' }],
      ['delete-api-key', undefined],
    ] as const) {
      const reply = await harness.call(entry, { ...unknown, body, headers: { 'If-Match': 'not-an-etag' } });
      expect({ entry, reply: reply.body }).toEqual({
        entry,
        reply: { status: 404, error: 'Not Found', code: 'api_key_not_found' },
      });
    }
    // On a key that exists, the malformed If-Match is still a 422 naming the header.
    const key = await createKey(org.id);
    const reply = await harness.call('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { name: 'x' },
      headers: { 'If-Match': 'not-an-etag' },
    });
    expect(reply).toMatchObject({ statusCode: 422, body: { code: 'validation_errors', error_details: { 'If-Match': expect.any(Array) } } });
  });

  it(
    'gives a key created under a lifetime policy exactly created_at + max_key_lifetime_days',
    async () => {
      const org = await newOrganization();
      await harness.call('update-organization-settings', { organizationId: org.id, body: { max_key_lifetime_days: 30 } });
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const key = await createKey(org.id);
        if (Date.parse(key.expires_at!) - Date.parse(key.created_at) !== 30 * DAY_MS) {
          failures.push(`trial ${trial}: created ${key.created_at}, expires ${key.expires_at}`);
        }
        const next = (await rotate(org.id, key.id, 'now')).body.api_key;
        if (Date.parse(next.expires_at!) - Date.parse(next.created_at) !== 30 * DAY_MS) {
          failures.push(`trial ${trial}: rotated, created ${next.created_at}, expires ${next.expires_at}`);
        }
        await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: next.id });
      }
      expectNoFailures(TRIALS, failures);
    },
    RACE_TIMEOUT_MS,
  );

  it('says on every key answer where expires_at comes from (expiry_source)', async () => {
    const org = await newOrganization();
    const target = (id: string) => ({ organizationId: org.id, apiKeyId: id });
    const plain = await createKey(org.id);
    expect(plain.expiry_source).toBeNull();
    const own = await createKey(org.id, { expires_in: '7d' });
    expect(own.expiry_source).toBe('request');
    const got = await harness.call<{ api_key: ApiKeyView }>('get-api-key', target(own.id));
    expect(got.body.api_key.expiry_source).toBe('request');
    const revealed = await harness.call<{ api_key: ApiKeyWithValue }>('reveal-api-key', target(own.id));
    expect(revealed.body.api_key.expiry_source).toBe('request');
    const cleared = await harness.call<{ api_key: ApiKeyView }>('update-api-key', { ...target(own.id), body: { expires_at: null } });
    expect(cleared.body.api_key).toMatchObject({ expires_at: null, expiry_source: null });

    const rotated = await rotate(org.id, plain.id, '1h');
    expect(rotated.body.rotated_api_key.expiry_source).toBe('rotation');
    expect(rotated.body.api_key.expiry_source).toBeNull();

    await harness.call('update-organization-settings', { organizationId: org.id, body: { max_key_lifetime_days: 30 } });
    const byPolicy = await createKey(org.id);
    expect(byPolicy.expiry_source).toBe('policy');

    const listed = await harness.call<{ api_keys: ApiKeyView[] }>('list-api-keys', { organizationId: org.id });
    expect(Object.fromEntries(listed.body.api_keys.map((key) => [key.id, key.expiry_source]))).toMatchObject({
      [org.firstKey.id]: null,
      [plain.id]: 'rotation',
      [own.id]: null,
      [rotated.body.api_key.id]: null,
      [byPolicy.id]: 'policy',
    });
    const deleted = await harness.call<{ api_key: ApiKeyView }>('delete-api-key', target(plain.id));
    expect(deleted.body.api_key.expiry_source).toBe('rotation');
  });
});
