import { appendFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lifecycleJobOf } from '../lambdas/adapters/eventbridge-retirement-scheduler';
import { JOB_FILE_SUFFIX } from '../lambdas/adapters/local-retirement-scheduler';
import { type Clock, systemClock } from '../lambdas/domain/clock';
import { JOB_RETRY_ATTEMPTS } from '../lambdas/domain/expiry';
import { failureRecord } from '../lambdas/service/job-redrive';
import { type PollLoop, startPollLoop } from './poll-loop';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './state';

export interface RetirementLoopOptions {
  /** LOCAL_SCHEDULE_DIR: where LocalRetirementScheduler writes the jobs. */
  dir: string;
  /** The retire function's handler, called with exactly the payload EventBridge Scheduler sends. */
  handler: (payload: unknown) => Promise<unknown>;
  /** The remind function's handler, for reminder jobs (due at their `remind_at`). */
  remindHandler?: (payload: unknown) => Promise<unknown>;
  /**
   * Where a job that failed every attempt is parked, one invocation record per line, as Lambda
   * sends its on-failure destination (`keyward jobs redrive` runs them again).
   */
  deadLetterFile: string;
  clock?: Clock;
  /** One line per event, like the rest of the local runtime. */
  log: (line: string) => void;
  /** @default 500 */
  intervalMs?: number;
}

/** Failed jobs are retried with exponential backoff, capped: the handler is idempotent. */
const MAX_BACKOFF_MS = 60_000;
const REJECTED_DIR = 'rejected';
/** The state directory's file of parked jobs (the local job failure queue). */
export const JOBS_DEAD_LETTER_FILE = 'jobs-dead-letter.jsonl';

/**
 * The local runtime's stand-in for EventBridge Scheduler firing: scans the job directory at start
 * (so a job that fell due while the runtime was down fires at once) and then every `intervalMs`,
 * runs each due job through its handler (a reminder, with `mark_days`, at its `remind_at`, through
 * the remind handler; a retirement at its `expires_at`, through the retire handler), and deletes
 * the job file only after the handler succeeded. A failed job is retried as Lambda retries an
 * asynchronous invocation (JOB_RETRY_ATTEMPTS more times, with backoff) and then parked in the
 * dead-letter file, its job file removed. A job file that cannot be parsed is moved to `rejected/`.
 */
export function startRetirementLoop(options: RetirementLoopOptions): { stop(): Promise<void> } {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 500;
  const failures = new Map<string, { attempts: number; retryAt: number }>();

  async function runJob(file: string): Promise<void> {
    const path = join(options.dir, file);
    const now = clock.now().getTime();
    const failure = failures.get(file);
    // Backoff runs on wall time: the clock only decides when a job is due.
    if (failure && failure.retryAt > Date.now()) return;

    let payload: unknown;
    try {
      payload = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      payload = undefined;
    }
    const job = readJob(payload);
    if (!job) {
      await mkdir(join(options.dir, REJECTED_DIR), { recursive: true, mode: PRIVATE_DIR_MODE });
      await rename(path, join(options.dir, REJECTED_DIR, file));
      options.log(`retirement job ${file} rejected (unreadable payload), moved to ${REJECTED_DIR}/`);
      return;
    }
    if (Date.parse(job.dueAt) > now) return;

    try {
      const outcome = await job.run();
      await rm(path, { force: true });
      failures.delete(file);
      options.log(`retirement job ${file}: ${String(outcome)}`);
    } catch (error) {
      const attempts = (failure?.attempts ?? 0) + 1;
      const message = error instanceof Error ? error.message : String(error);
      if (attempts > JOB_RETRY_ATTEMPTS) {
        const record = failureRecord(payload, { attempts, error: message, at: new Date() });
        await appendFile(options.deadLetterFile, `${JSON.stringify(record)}\n`, { mode: PRIVATE_FILE_MODE });
        await rm(path, { force: true });
        failures.delete(file);
        options.log(
          `retirement job ${file} failed ${attempts} times, parked in ${options.deadLetterFile} (keyward jobs redrive): ${message}`,
        );
        return;
      }
      const backoff = Math.min(intervalMs * 2 ** attempts, MAX_BACKOFF_MS);
      failures.set(file, { attempts, retryAt: Date.now() + backoff });
      options.log(`retirement job ${file} failed (attempt ${attempts}), retrying in ${backoff} ms: ${message}`);
    }
  }

  /** The job in a file's payload: when it is due and what runs it; undefined when it is no job this loop can run. */
  function readJob(payload: unknown): { dueAt: string; run: () => Promise<unknown> } | undefined {
    const job = lifecycleJobOf(payload);
    if (job?.kind === 'remind') {
      const remind = options.remindHandler;
      return remind && { dueAt: job.payload.remind_at, run: () => remind(job.payload) };
    }
    return job && { dueAt: job.payload.expires_at, run: () => options.handler(job.payload) };
  }

  async function scan(loop: PollLoop): Promise<void> {
    let files: string[];
    try {
      files = (await readdir(options.dir)).filter((file) => file.endsWith(JOB_FILE_SUFFIX) && !file.startsWith('.'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const file of files.sort()) {
      if (loop.isStopped()) return;
      await runJob(file);
    }
  }

  const loop = startPollLoop({
    intervalMs,
    pass: scan,
    onError: (error) => options.log(`retirement loop scan failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  return { stop: () => loop.stop() };
}
