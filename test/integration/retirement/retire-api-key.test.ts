import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { EventBridgeRetirementScheduler, type LifecycleJob } from '../../../lambdas/adapters/eventbridge-retirement-scheduler';
import { LocalRetirementScheduler } from '../../../lambdas/adapters/local-retirement-scheduler';
import { ManualClock } from '../../../lambdas/domain/clock';
import { JOB_RETRY_ATTEMPTS } from '../../../lambdas/domain/expiry';
import type { KeyStore } from '../../../lambdas/domain/ports';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { createRetireHandler, type RetireHandler } from '../../../lambdas/service/job-handlers';
import { failureRecord } from '../../../lambdas/service/job-redrive';
import type { OrganizationService } from '../../../lambdas/service/organization-service';
import { redriveJobsFile } from '../../../local/dead-letter-redrive';
import { JOBS_DEAD_LETTER_FILE, startRetirementLoop } from '../../../local/retirement-loop';
import { createTestTable } from '../../support/dynamodb';
import { SCHEDULER_OPTIONS } from '../../support/fakes';
import { testServices } from '../../support/services';

const ADMIN = { type: 'user', email: 'admin@acme.test' } as const;
const HOUR = 60 * 60 * 1000;

describe('retire-api-key handler (DynamoDB Local)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let store: DynamoDbKeyStore;
  let keys: ApiKeyService;
  let organizations: OrganizationService;
  let scheduleDir: string;
  let retire: RetireHandler;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');
  let orgCounter = 0;

  beforeAll(async () => {
    table = await createTestTable();
    store = new DynamoDbKeyStore(
      DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
      table.tableName,
    );
    scheduleDir = mkdtempSync(join(tmpdir(), 'keyward-schedules-'));
    ({ keys, organizations } = testServices(store, clock, new LocalRetirementScheduler(scheduleDir)));
    retire = createRetireHandler({ store, clock });
  });

  afterAll(async () => {
    await table.drop();
    rmSync(scheduleDir, { recursive: true, force: true });
  });

  beforeEach(() => clock.set('2036-11-26T04:00:00.000Z'));

  /** An organization whose first key was rotated with a 1 h grace period. */
  async function rotatedOrganization() {
    const id = `org-${++orgCounter}`;
    const created = await organizations.create({ name: id, id, admins: [ADMIN.email] });
    const rotated = await keys.rotate(id, ADMIN, created.api_key.id, { expires_in: '1h' });
    return { id, old: rotated.rotated_api_key, next: rotated.api_key };
  }

  const payload = (organizationId: string, apiKeyId: string, expiresAt: string) => ({
    organization_id: organizationId,
    api_key_id: apiKeyId,
    expires_at: expiresAt,
  });

  it('removes the old key at its expiry and writes api_key.retired in the same change', async () => {
    const { id, old } = await rotatedOrganization();
    clock.advance(HOUR);

    await expect(retire(payload(id, old.id, old.expires_at!))).resolves.toBe('retired');

    expect(await store.getKey(id, old.id)).toBeUndefined();
    const events = await store.listAuditEvents(id, { limit: 10 });
    const retired = events.items.find((event) => event.type === 'api_key.retired');
    expect(retired).toMatchObject({
      apiKeyId: old.id,
      actor: { type: 'system' },
      occurredAt: '2036-11-26T05:00:00.000Z',
      details: { name: null, masked_value: old.masked_value, expires_at: old.expires_at, last_used_at: null },
    });
  });

  it('is a no-op the second time (a duplicate invocation)', async () => {
    const { id, old } = await rotatedOrganization();
    clock.advance(HOUR);

    await retire(payload(id, old.id, old.expires_at!));
    await expect(retire(payload(id, old.id, old.expires_at!))).resolves.toBe('key_gone');

    const events = await store.listAuditEvents(id, { limit: 10 });
    expect(events.items.filter((event) => event.type === 'api_key.retired')).toHaveLength(1);
  });

  it('is a no-op when it arrives late, after the key was deleted', async () => {
    const { id, old } = await rotatedOrganization();
    clock.advance(30 * 60 * 1000);
    await keys.delete(id, ADMIN, old.id);
    clock.advance(2 * HOUR);

    await expect(retire(payload(id, old.id, old.expires_at!))).resolves.toBe('key_gone');

    const events = await store.listAuditEvents(id, { limit: 10 });
    expect(events.items.some((event) => event.type === 'api_key.retired')).toBe(false);
  });

  it('leaves alone a key whose pending expiry is not the job’s (its rotation changed)', async () => {
    const { id, old } = await rotatedOrganization();
    clock.advance(2 * HOUR);
    const otherExpiry = new Date(Date.parse(old.expires_at!) - 1000).toISOString();

    await expect(retire(payload(id, old.id, otherExpiry))).resolves.toBe('rotation_changed');

    expect(await store.getKey(id, old.id)).toMatchObject({ expiresAt: old.expires_at });
  });

  it('leaves alone a key that has no pending expiry (a job whose rotation never committed)', async () => {
    const id = `org-${++orgCounter}`;
    const created = await organizations.create({ name: id, id, admins: [ADMIN.email] });
    clock.advance(HOUR);

    await expect(retire(payload(id, created.api_key.id, '2036-11-26T04:30:00.000Z'))).resolves.toBe('rotation_changed');

    expect(await store.getKey(id, created.api_key.id)).toBeDefined();
  });

  it('still retires a key that was renamed between its read and its removal: it re-reads, the expiry still matches', async () => {
    // A key with its own expiry: the old key of a rotation cannot be changed at all (API.md §3).
    const id = `org-${++orgCounter}`;
    await organizations.create({ name: id, id, admins: [ADMIN.email] });
    const expiring = await keys.create(id, ADMIN, { expires_in: '1h' });
    clock.advance(HOUR);
    let renamed = false;
    const racing: KeyStore = new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'retireKey') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<KeyStore['retireKey']>) => {
          if (!renamed) {
            renamed = true;
            // A change that landed just before the expiry, after the job read the key.
            const current = (await store.getKey(id, expiring.id))!;
            await store.updateKey({
              key: current,
              changes: { name: 'renamed while retiring' },
              event: keys.event('api_key.updated', current, ADMIN),
              landsBy: new Date(Date.parse(expiring.expires_at!) - 1).toISOString(),
            });
          }
          return target.retireKey(...args);
        };
      },
    });

    await expect(createRetireHandler({ store: racing, clock })(payload(id, expiring.id, expiring.expires_at!))).resolves.toBe('retired');

    expect(renamed).toBe(true);
    expect(await store.getKey(id, expiring.id)).toBeUndefined();
    const expired = (await store.listAuditEvents(id, { limit: 10 })).items.find((event) => event.type === 'api_key.expired');
    expect(expired?.details).toMatchObject({ name: 'renamed while retiring' });
  });

  it('refuses to run more than a minute before the expiry (no scheduler fires that early): the grace period is never cut short', async () => {
    const { id, old } = await rotatedOrganization();
    clock.set(new Date(Date.parse(old.expires_at!) - 60_001));

    await expect(retire(payload(id, old.id, old.expires_at!))).rejects.toThrow('invoked 60001 ms before its expiry');
    expect(await store.getKey(id, old.id)).toBeDefined();
  });

  it('retires a key its schedule invokes early, in the minute of its at() before expires_at, without a retry', async () => {
    // EventBridge Scheduler fires a one-time schedule anywhere in the minute of its at() (60-second
    // precision): at(04:25:19) for an expires_at of 04:25:18.402 may run at 04:25:00.
    const id = `org-${++orgCounter}`;
    const created = await organizations.create({ name: id, id, admins: [ADMIN.email] });
    const rotated = await keys.rotate(id, ADMIN, created.api_key.id, { expires_at: '2036-11-26T04:25:18.402Z' });
    const old = rotated.rotated_api_key;
    const input = new EventBridgeRetirementScheduler(SCHEDULER_OPTIONS).createScheduleInput({
      organizationId: id,
      apiKeyId: old.id,
      expiresAt: old.expires_at!,
    });
    expect(input.ScheduleExpression).toBe('at(2036-11-26T04:25:19)');
    clock.set('2036-11-26T04:25:00.000Z');
    const waits: number[] = [];
    const keyAtEachWait: unknown[] = [];
    const early = createRetireHandler({
      store,
      clock,
      sleep: async (ms) => {
        keyAtEachWait.push(await store.getKey(id, old.id));
        waits.push(ms);
        clock.advance(ms);
      },
    });

    await expect(early(JSON.parse(input.Target!.Input!))).resolves.toBe('retired');

    expect(waits).toEqual([18_402]);
    expect(keyAtEachWait).toEqual([expect.objectContaining({ id: old.id, expiresAt: old.expires_at })]);
    expect(await store.getKey(id, old.id)).toBeUndefined();
    const retired = (await store.listAuditEvents(id, { limit: 10 })).items.find((event) => event.type === 'api_key.retired');
    expect(retired?.occurredAt).toBe('2036-11-26T04:25:18.402Z');
  });

  it('waits until the clock has really reached the expiry, however its timer rounds', async () => {
    const { id, old } = await rotatedOrganization();
    clock.set(new Date(Date.parse(old.expires_at!) - 30_000));
    const waits: number[] = [];
    // A timer that comes back a millisecond short the first time, as timers may.
    const short = createRetireHandler({
      store,
      clock,
      sleep: async (ms) => {
        clock.advance(waits.length === 0 ? ms - 1 : ms);
        waits.push(ms);
      },
    });

    await expect(short(payload(id, old.id, old.expires_at!))).resolves.toBe('retired');

    expect(waits).toEqual([30_000, 1]);
  });

  it('throws on a malformed payload so it lands in the job failure queue', async () => {
    await expect(retire({ organization_id: 'acme' })).rejects.toThrow('invalid retirement payload');
  });

  describe('with the local retirement loop', () => {
    let stateDir: string;
    let deadLetterFile: string;
    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'keyward-state-'));
      deadLetterFile = join(stateDir, JOBS_DEAD_LETTER_FILE);
    });
    afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

    /** A rotated key whose retirement job, alone in a directory of its own, is due. */
    async function dueJobAlone() {
      const dir = mkdtempSync(join(tmpdir(), 'keyward-schedules-'));
      const { id, old } = await rotatedOrganization();
      await new LocalRetirementScheduler(dir).scheduleRetirement({ organizationId: id, apiKeyId: old.id, expiresAt: old.expires_at! });
      clock.advance(HOUR);
      return { dir, id, old };
    }

    it('fires a job that fell due while the runtime was down as soon as it starts, then deletes the job', async () => {
      const { id, old } = await rotatedOrganization();
      expect(readdirSync(scheduleDir).filter((file) => file.endsWith('.json')).length).toBeGreaterThan(0);
      clock.advance(HOUR);

      const lines: string[] = [];
      const loop = startRetirementLoop({
        dir: scheduleDir,
        handler: retire,
        clock,
        log: (line) => lines.push(line),
        intervalMs: 20,
        deadLetterFile,
      });
      try {
        await waitFor(async () => (await store.getKey(id, old.id)) === undefined);
        await waitFor(async () => readdirSync(scheduleDir).filter((file) => file.endsWith('.json')).length === 0);
      } finally {
        await loop.stop();
      }
    });

    it('keeps a job that is not yet due, and fires it once its time comes', async () => {
      const { id, old } = await rotatedOrganization();
      const loop = startRetirementLoop({ dir: scheduleDir, handler: retire, clock, log: () => undefined, intervalMs: 20, deadLetterFile });
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await store.getKey(id, old.id)).toBeDefined();

        clock.advance(HOUR);
        await waitFor(async () => (await store.getKey(id, old.id)) === undefined);
      } finally {
        await loop.stop();
      }
    });

    it('retries a job whose handler failed, and keeps its file until it succeeds', async () => {
      const { dir, id, old } = await dueJobAlone();
      let calls = 0;
      const flaky = async (event: unknown) => {
        calls += 1;
        if (calls === 1) throw new Error('DynamoDB unavailable');
        return retire(event);
      };
      const loop = startRetirementLoop({ dir, handler: flaky, clock, log: () => undefined, intervalMs: 10, deadLetterFile });
      try {
        await waitFor(async () => (await store.getKey(id, old.id)) === undefined);
        await waitFor(async () => readdirSync(dir).length === 0);
        expect(calls).toBe(2);
      } finally {
        await loop.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('parks a job that failed all three attempts as Lambda would (its invocation record), and the redrive then retires the key, once', async () => {
      const { dir, id, old } = await dueJobAlone();
      let attempts = 0;
      const down = async () => {
        attempts += 1;
        throw new Error('DynamoDB unavailable');
      };
      const loop = startRetirementLoop({ dir, handler: down, clock, log: () => undefined, intervalMs: 5, deadLetterFile });
      try {
        await waitFor(async () => readFileSync(deadLetterFile, 'utf8').trim() !== '');
        await waitFor(async () => readdirSync(dir).filter((file) => file.endsWith('.json')).length === 0);
      } finally {
        await loop.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      expect(attempts).toBe(1 + JOB_RETRY_ATTEMPTS);
      const [record] = readFileSync(deadLetterFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(record).toMatchObject({
        requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
        requestPayload: payload(id, old.id, old.expires_at!),
        responsePayload: { errorMessage: 'DynamoDB unavailable' },
      });
      expect(statSync(deadLetterFile).mode & 0o777).toBe(0o600);
      expect(await store.getKey(id, old.id)).toBeDefined();

      const run = (job: LifecycleJob) => retire(job.payload);
      await expect(redriveJobsFile(stateDir, run, () => undefined)).resolves.toEqual({ redriven: 1, failed: 0 });

      expect(await store.getKey(id, old.id)).toBeUndefined();
      expect(readFileSync(deadLetterFile, 'utf8')).toBe('');
      await expect(redriveJobsFile(stateDir, run, () => undefined)).resolves.toEqual({ redriven: 0, failed: 0 });
      const retired = (await store.listAuditEvents(id, { limit: 10 })).items.filter((event) => event.type === 'api_key.retired');
      expect(retired).toHaveLength(1);
    });

    it('keeps, for the next redrive, a parked job that fails again and a line that holds no job', async () => {
      const { id, old } = await rotatedOrganization();
      clock.advance(HOUR);
      const parked = failureRecord(payload(id, old.id, old.expires_at!), { attempts: 3, error: 'throttled', at: clock.now() });
      writeFileSync(deadLetterFile, `${JSON.stringify(parked)}\n{"requestPayload":{"organization_id":"acme"}}\n`);
      const warnings: string[] = [];

      const result = await redriveJobsFile(
        stateDir,
        async () => Promise.reject(new Error('still throttled')),
        (m) => warnings.push(m),
      );

      expect(result).toEqual({ redriven: 0, failed: 2 });
      expect(readFileSync(deadLetterFile, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(warnings).toEqual([
        `retire job of ${id}/${old.id} failed again: still throttled`,
        'a line of jobs-dead-letter.jsonl holds no retirement or reminder job; it stays in the file',
      ]);
      expect(await store.getKey(id, old.id)).toBeDefined();
    });

    it('moves an unreadable job aside instead of retrying it forever', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'keyward-schedules-'));
      writeFileSync(join(dir, 'broken.json'), '{"organization_id":');
      const loop = startRetirementLoop({ dir, handler: retire, clock, log: () => undefined, intervalMs: 10, deadLetterFile });
      try {
        await waitFor(async () => readdirSync(join(dir, 'rejected')).includes('broken.json'));
      } finally {
        await loop.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // Not there yet (e.g. a directory the loop has not created).
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
