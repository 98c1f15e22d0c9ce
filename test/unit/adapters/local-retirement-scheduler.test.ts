import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobFileName, LocalRetirementScheduler } from '../../../lambdas/adapters/local-retirement-scheduler';

const JOB = { organizationId: 'acme', apiKeyId: '01KAXQ3N8Y4B5C6D7E8F9G0H1J', expiresAt: '2026-11-27T04:00:00.250Z' };

describe('LocalRetirementScheduler', () => {
  let dir: string;

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'keyward-jobs-')), 'schedules');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the job as the payload EventBridge Scheduler would send, creating the directory', async () => {
    await new LocalRetirementScheduler(dir).scheduleRetirement(JOB);

    expect(readdirSync(dir)).toEqual([jobFileName(JOB)]);
    expect(JSON.parse(readFileSync(join(dir, jobFileName(JOB)), 'utf8'))).toEqual({
      organization_id: 'acme',
      api_key_id: JOB.apiKeyId,
      expires_at: JOB.expiresAt,
    });
  });

  it('writes owner-only jobs (0600, in a 0700 directory) under a permissive umask, as the CLI runs (issue 16 item 9)', async () => {
    const previous = process.umask(0o022);
    try {
      const scheduler = new LocalRetirementScheduler(dir, { clock: { now: () => new Date('2026-11-26T04:00:00Z') } });
      await scheduler.scheduleRetirement(JOB);
      expect(await scheduler.scheduleReminder({ ...JOB, id: 'job-1', markDays: 1 })).toBe(true);
    } finally {
      process.umask(previous);
    }
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    expect(mode(dir)).toBe('700');
    expect(readdirSync(dir).map((file) => [file, mode(join(dir, file))])).toEqual(readdirSync(dir).map((file) => [file, '600']));
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('keeps one file when the same job is scheduled twice, and leaves no temp file behind', async () => {
    const scheduler = new LocalRetirementScheduler(dir);

    await scheduler.scheduleRetirement(JOB);
    await scheduler.scheduleRetirement({ ...JOB });
    await scheduler.scheduleRetirement({ ...JOB, expiresAt: '2026-11-28T04:00:00.000Z' });

    expect(readdirSync(dir).sort()).toEqual([jobFileName(JOB), jobFileName({ ...JOB, expiresAt: '2026-11-28T04:00:00.000Z' })].sort());
  });

  it('cancels a job by removing its file only, and a job that is already gone is no error', async () => {
    const scheduler = new LocalRetirementScheduler(dir);
    const mine = { ...JOB, id: 'request-1' };
    const concurrent = { ...JOB, id: 'request-2' };
    await scheduler.scheduleRetirement(mine);
    await scheduler.scheduleRetirement(concurrent);

    await scheduler.cancelRetirement(mine);
    await scheduler.cancelRetirement(mine);

    expect(readdirSync(dir)).toEqual([jobFileName(concurrent)]);
    await expect(new LocalRetirementScheduler(join(dir, 'missing')).cancelRetirement(JOB)).resolves.toBeUndefined();
  });
});
