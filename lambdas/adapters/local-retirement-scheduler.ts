import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RetirementJob, RetirementScheduler } from '../domain/ports';
import { retirementPayload, scheduleName } from './eventbridge-retirement-scheduler';

/** Job files are `<schedule name>.json`; the loop (local/retirement-loop.ts) reads only these. */
export const JOB_FILE_SUFFIX = '.json';

export function jobFileName(job: RetirementJob): string {
  return `${scheduleName(job)}${JOB_FILE_SUFFIX}`;
}

/**
 * The local stand-in for EventBridge Scheduler: one JSON file per job, holding exactly the payload
 * the schedule would send, so the jobs survive a restart of the local runtime. The file is written
 * to a dot-named temp file and renamed, so the loop never reads a half-written job; the name is
 * derived from the job (as the schedule's name in AWS), so scheduling the same job twice leaves
 * one file and cancelling a job removes exactly that file.
 */
export class LocalRetirementScheduler implements RetirementScheduler {
  constructor(private readonly dir: string) {}

  async scheduleRetirement(job: RetirementJob): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = join(this.dir, jobFileName(job));
    const temp = join(this.dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(retirementPayload(job))}\n`);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async cancelRetirement(job: RetirementJob): Promise<void> {
    await rm(join(this.dir, jobFileName(job)), { force: true });
  }
}
