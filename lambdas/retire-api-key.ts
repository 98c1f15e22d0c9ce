import { systemClock } from './domain/clock';
import { functionTable } from './runtime/wiring';
import { createRetireHandler, type RetireHandler } from './service/job-handlers';

/**
 * The retire function (API.md §3 Rotation, §8, DESIGN.md "Scheduled retirement"): invoked by the
 * one-shot EventBridge schedule at a key's `expires_at`, asynchronously; what fails after Lambda's
 * retries lands in the job failure queue (`keyward jobs redrive`). The handler is
 * service/job-handlers.ts's, on the function's table and the system clock.
 */
export const handler: RetireHandler = createRetireHandler({ store: functionTable().store, clock: systemClock });
