import { type LifecycleJob, lifecycleJobOf } from '../adapters/eventbridge-retirement-scheduler';
import type { RedriveResult } from '../notifications/redrive';

/**
 * `keyward jobs redrive` (README "Operate"): lifecycle jobs (retirements, reminders) that failed
 * for good are run again, each with the payload its schedule sent, and leave their queue or file
 * only once they succeeded. The handlers are idempotent (each re-reads the key), so a job that
 * meanwhile became moot (key deleted, expiry moved) succeeds by doing nothing.
 */

/** Runs one job as its function would (in AWS: invokes the function); rejects when the job failed. */
export type JobRunner = (job: LifecycleJob) => Promise<unknown>;

/** Where failed jobs are parked: the job failure queue, the scheduler's dead-letter queue. */
export interface ParkedJobs {
  /** Every message there now, each held back from other readers while this redrive works on it. */
  receiveAll(): Promise<{ messages: { handle: string; value: LifecycleJob }[]; unreadable: string[] }>;
  /** The job succeeded: it is done. */
  delete(handle: string): Promise<void>;
  /** Not done: visible again at once, for the next redrive. */
  release(handle: string): Promise<void>;
}

/**
 * The job a parked message or line holds. Lambda's on-failure destination receives an invocation
 * record that wraps the original event in `requestPayload` (the local timer loop writes the same
 * record); EventBridge Scheduler's dead-letter queue receives the target's input itself.
 */
export function parkedJobOf(body: unknown): LifecycleJob | undefined {
  const wrapped = typeof body === 'object' && body !== null && 'requestPayload' in body;
  return lifecycleJobOf(wrapped ? (body as { requestPayload: unknown }).requestPayload : body);
}

/**
 * What the local timer loop parks when a job failed all its attempts: the shape of Lambda's
 * on-failure invocation record (the parts redrive and an operator read), so one reader serves both.
 */
export function failureRecord(payload: unknown, failure: { attempts: number; error: string; at: Date }): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: failure.at.toISOString(),
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: failure.attempts },
    requestPayload: payload,
    responsePayload: { errorMessage: failure.error },
  };
}

/** Runs one parked job; true when it succeeded. A failure is reported, never thrown: the rest still run. */
export async function redriveJob(job: LifecycleJob, run: JobRunner, warn: (message: string) => void): Promise<boolean> {
  try {
    await run(job);
    return true;
  } catch (error) {
    const { organization_id: organizationId, api_key_id: apiKeyId } = job.payload;
    warn(`${job.kind} job of ${organizationId}/${apiKeyId} failed again: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/**
 * The AWS redrive: every message of each queue is run; a message is deleted only once its job
 * succeeded, otherwise it is made visible again for the next run. A message that holds no job is
 * left where it is and counted as failed.
 */
export async function redriveJobs(deps: { queues: ParkedJobs[]; run: JobRunner; warn: (message: string) => void }): Promise<RedriveResult> {
  const result: RedriveResult = { redriven: 0, failed: 0 };
  for (const queue of deps.queues) {
    const { messages, unreadable } = await queue.receiveAll();
    for (const handle of unreadable) {
      deps.warn('a parked message holds no retirement or reminder job; it is left in its queue');
      result.failed += 1;
      await queue.release(handle);
    }
    for (const { handle, value } of messages) {
      const done = await redriveJob(value, deps.run, deps.warn);
      result[done ? 'redriven' : 'failed'] += 1;
      await (done ? queue.delete(handle) : queue.release(handle));
    }
  }
  return result;
}
