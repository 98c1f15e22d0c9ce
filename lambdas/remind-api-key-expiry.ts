import { monotonicFactory } from 'ulid';
import { reminderPayloadSchema } from './adapters/eventbridge-retirement-scheduler';
import { keyEvent } from './domain/audit-event';
import { type Clock, systemClock } from './domain/clock';
import type { KeyStore } from './domain/ports';
import { logger } from './observability/logger';
import { functionTable } from './runtime/wiring';

/**
 * The remind function (API.md §8 Reminders, DESIGN.md "Lifecycle jobs"): invoked by a one-shot
 * schedule (or the local timer loop) at an `expiry_reminder_days` mark before a key's expiry. It
 * re-reads the key and does nothing unless the key still expires at the job's instant; the
 * reminder is recorded on the key and `api_key.expiry_reminder_sent` written in one conditional
 * transaction, so a retried or repeated job reminds once per key, expiry and mark, and the
 * email follows from the outbox like every other.
 */

export type RemindOutcome = 'reminded' | 'already_reminded' | 'key_gone' | 'expiry_changed';

export type RemindHandler = (event: unknown) => Promise<RemindOutcome>;

export interface RemindHandlerDeps {
  store: KeyStore;
  clock: Clock;
  newId?: () => string;
}

export function createRemindHandler(deps: RemindHandlerDeps): RemindHandler {
  const ulid = monotonicFactory();
  const newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));

  return async (event) => {
    const parsed = reminderPayloadSchema.safeParse(event);
    if (!parsed.success) {
      // Thrown, not dropped: the schedule retries and then parks the payload in its DLQ.
      throw new Error(`invalid reminder payload: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
    }
    const { organization_id: organizationId, api_key_id: apiKeyId, expires_at: expiresAt, mark_days: markDays } = parsed.data;
    const context = { organization_id: organizationId, api_key_id: apiKeyId, expires_at: expiresAt, mark_days: markDays };

    const key = await deps.store.getKey(organizationId, apiKeyId);
    if (!key) {
      logger.info('reminder skipped: key gone', context);
      return 'key_gone';
    }
    if (
      key.expiresAt === null ||
      Date.parse(key.expiresAt) !== Date.parse(expiresAt) ||
      Date.parse(expiresAt) <= deps.clock.now().getTime()
    ) {
      logger.info('reminder skipped: the key no longer expires at this instant', { ...context, key_expires_at: key.expiresAt });
      return 'expiry_changed';
    }
    const reminder = keyEvent({
      id: newId(),
      type: 'api_key.expiry_reminder_sent',
      key,
      actor: { type: 'system' },
      at: deps.clock.now(),
      details: { expires_at: key.expiresAt, mark_days: markDays, last_used_at: key.lastUsedAt },
    });
    // Conditioned on the stored expiry string, which is the one the jobs were made from.
    const recorded = await deps.store.recordReminder({ key, expiresAt: key.expiresAt, markDays, event: reminder });
    logger.info(recorded ? 'expiry reminder recorded' : 'reminder skipped: already reminded', context);
    return recorded ? 'reminded' : 'already_reminded';
  };
}

export const handler: RemindHandler = createRemindHandler({ store: functionTable().store, clock: systemClock });
