import { monotonicFactory } from 'ulid';
import { retirementPayloadSchema } from './adapters/eventbridge-retirement-scheduler';
import { isPendingRotation, type StoredApiKey } from './domain/api-key';
import { type AuditEvent, keyEvent } from './domain/audit-event';
import { type Clock, systemClock } from './domain/clock';
import type { KeyStore } from './domain/ports';
import { retryOnConflict } from './domain/retry-on-conflict';
import { logger } from './observability/logger';
import { functionTable } from './runtime/wiring';

/**
 * The retire function (API.md §3 Rotation, §8, DESIGN.md "Scheduled retirement"): invoked by the
 * one-shot EventBridge schedule (or the local retirement loop) at a key's `expires_at`. The
 * authorizer already refuses the key from that instant; this removes it and writes, in the same
 * transaction, `api_key.retired` for the old key of a rotation or `api_key.expired` for a key that
 * reached its own expiry (the outbox of their emails).
 */

export type RetireOutcome = 'retired' | 'key_gone' | 'rotation_changed';

export type RetireHandler = (event: unknown) => Promise<RetireOutcome>;

export interface RetireHandlerDeps {
  store: KeyStore;
  clock: Clock;
  newId?: () => string;
}

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

export function createRetireHandler(deps: RetireHandlerDeps): RetireHandler {
  const ulid = monotonicFactory();
  const newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));

  return async (event) => {
    const parsed = retirementPayloadSchema.safeParse(event);
    if (!parsed.success) {
      // Thrown, not dropped: the schedule retries and then parks the payload in its DLQ, where an
      // operator sees it. A malformed payload means a bug in whatever created the schedule, and
      // the key would otherwise linger (refused by the authorizer, but listed) with no trace.
      throw new Error(`invalid retirement payload: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
    }
    const { organization_id: organizationId, api_key_id: apiKeyId, expires_at: expiresAt } = parsed.data;
    const context = { organization_id: organizationId, api_key_id: apiKeyId, expires_at: expiresAt };

    const now = deps.clock.now();
    if (now.getTime() < Date.parse(expiresAt)) {
      // Never cut a grace period short: an early invocation fails and the scheduler retries it.
      throw new Error(`retirement of ${apiKeyId} invoked before its expiry ${expiresAt}`);
    }

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

export const handler: RetireHandler = createRetireHandler({ store: functionTable().store, clock: systemClock });
