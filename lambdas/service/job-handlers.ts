import { monotonicFactory } from 'ulid';
import { reminderPayloadSchema, retirementPayloadSchema } from '../adapters/eventbridge-retirement-scheduler';
import { isPendingRotation, type StoredApiKey } from '../domain/api-key';
import { type AuditEvent, keyEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { JOB_EARLY_INVOCATION_MS } from '../domain/expiry';
import type { KeyStore } from '../domain/ports';
import { retryOnConflict } from '../domain/retry-on-conflict';
import { logger } from '../observability/logger';

/**
 * What the lifecycle jobs do when they run (DESIGN.md "Lifecycle jobs"): the retire and remind
 * functions' handlers. Their entry files give them the function's table and the system clock; the
 * local timer loop and `keyward jobs redrive` on the local stack run the same handlers.
 */

export type RetireOutcome = 'retired' | 'key_gone' | 'rotation_changed';
export type RetireHandler = (event: unknown) => Promise<RetireOutcome>;

export type RemindOutcome = 'reminded' | 'already_reminded' | 'key_gone' | 'expiry_changed';
export type RemindHandler = (event: unknown) => Promise<RemindOutcome>;

export interface JobHandlerDeps {
  store: KeyStore;
  clock: Clock;
  newId?: () => string;
  /** How the retire handler waits out an early invocation. @default a timer */
  sleep?: (ms: number) => Promise<void>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The `api_key.retired` (rotated out) or `api_key.expired` (its own expiry) audit event: the key
 * is gone afterwards, so it says when it was last used.
 */
export function retiredEvent(key: StoredApiKey, id: string, occurredAt: Date): AuditEvent {
  return keyEvent({
    id,
    type: isPendingRotation(key) ? 'api_key.retired' : 'api_key.expired',
    key,
    actor: { type: 'system' },
    at: occurredAt,
    details: { expires_at: key.expiresAt, last_used_at: key.lastUsedAt },
  });
}

/**
 * The retire function (API.md §3 Rotation, §8, DESIGN.md "Scheduled retirement"): invoked by the
 * one-shot schedule (or the local timer loop) at a key's `expires_at`. The authorizer already
 * refuses the key from that instant; this removes it and writes, in the same transaction,
 * `api_key.retired` for the old key of a rotation or `api_key.expired` for a key that reached its
 * own expiry (the outbox of their emails).
 */
export function createRetireHandler(deps: JobHandlerDeps): RetireHandler {
  const ulid = monotonicFactory();
  const newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));
  const sleep = deps.sleep ?? timer;

  return async (event) => {
    const parsed = retirementPayloadSchema.safeParse(event);
    if (!parsed.success) {
      // Thrown, not dropped: after Lambda's retries the payload lands in the job failure queue,
      // where an operator sees it. A malformed payload means a bug in whatever created the
      // schedule, and the key would otherwise linger (refused by the authorizer, but listed).
      throw new Error(`invalid retirement payload: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
    }
    const { organization_id: organizationId, api_key_id: apiKeyId, expires_at: expiresAt } = parsed.data;
    const context = { organization_id: organizationId, api_key_id: apiKeyId, expires_at: expiresAt };

    // Never cut a grace period short. A schedule may fire up to a minute early (its 60-second
    // precision): wait the rest out here, since a failure would spend one of Lambda's two retries
    // and a second early one would park the job. Earlier than that is not the scheduler: fail.
    const remaining = () => Date.parse(expiresAt) - deps.clock.now().getTime();
    const early = remaining();
    if (early > JOB_EARLY_INVOCATION_MS) {
      throw new Error(`retirement of ${apiKeyId} invoked ${early} ms before its expiry ${expiresAt}`);
    }
    if (early > 0) logger.info('retirement invoked before the expiry: waiting for it', { ...context, wait_ms: early });
    for (let wait = early; wait > 0; wait = remaining()) await sleep(wait);
    const now = deps.clock.now();

    // Conditioned on the version read, like every change; a concurrent change (a rename) re-reads.
    return retryOnConflict(async () => {
      const key = await deps.store.getKey(organizationId, apiKeyId);
      if (!key) {
        logger.info('retirement skipped: key already gone', context);
        return 'key_gone';
      }
      if (key.expiresAt === null || Date.parse(key.expiresAt) !== Date.parse(expiresAt)) {
        logger.info('retirement skipped: the key is not pending this expiry', { ...context, key_expires_at: key.expiresAt });
        return 'rotation_changed';
      }
      await deps.store.retireKey(key, retiredEvent(key, newId(), now));
      logger.info(isPendingRotation(key) ? 'api key retired' : 'api key expired', context);
      return 'retired';
    });
  };
}

/**
 * The remind function (API.md §8 Reminders, DESIGN.md "Lifecycle jobs"): invoked by a one-shot
 * schedule (or the local timer loop) at an `expiry_reminder_days` mark before a key's expiry. It
 * re-reads the key and does nothing unless the key still expires at the job's instant; the
 * reminder is recorded on the key and `api_key.expiry_reminder_sent` written in one conditional
 * transaction, so a retried or repeated job reminds once per key, expiry and mark, and the email
 * follows from the outbox like every other. A schedule that fires up to a minute before its mark
 * reminds that much earlier: the check is against the expiry, days ahead, so it needs no wait.
 */
export function createRemindHandler(deps: JobHandlerDeps): RemindHandler {
  const ulid = monotonicFactory();
  const newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));

  return async (event) => {
    const parsed = reminderPayloadSchema.safeParse(event);
    if (!parsed.success) {
      // Thrown, not dropped: after Lambda's retries the payload lands in the job failure queue.
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
