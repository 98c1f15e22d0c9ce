import { systemClock } from './domain/clock';
import { functionTable } from './runtime/wiring';
import { createRemindHandler, type RemindHandler } from './service/job-handlers';

/**
 * The remind function (API.md §8 Reminders, DESIGN.md "Lifecycle jobs"): invoked by a one-shot
 * EventBridge schedule at an `expiry_reminder_days` mark, asynchronously; what fails after
 * Lambda's retries lands in the job failure queue (`keyward jobs redrive`). The handler is
 * service/job-handlers.ts's, on the function's table and the system clock.
 */
export const handler: RemindHandler = createRemindHandler({ store: functionTable().store, clock: systemClock });
