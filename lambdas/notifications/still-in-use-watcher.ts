import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import { keyEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import type { KeyStore } from '../domain/ports';
import { STILL_IN_USE_WINDOW_MS, stillInUse } from '../domain/still-in-use';
import { logger } from '../observability/logger';
import { LAST_USED_AT_ATTRIBUTE } from '../table/layout';

export interface StillInUseWatcherDeps {
  store: Pick<KeyStore, 'recordStillInUse' | 'getKey'>;
  clock: Clock;
  /** @default STILL_IN_USE_WINDOW_MS (one hour) */
  windowMs?: number;
  newId?: () => string;
}

/** Checks one changed hot item from the stream; throws only when the check must be retried. */
export type StillInUseWatcher = (record: DynamoDBRecord) => Promise<void>;

/** A hot item as the store and the authorizer write it (the stream's NEW_IMAGE, unmarshalled): the fields the check needs. */
const hotItemSchema = z.object({
  organization_id: z.string().min(1),
  api_key_id: z.string().min(1),
  expires_at: z.string().nullish(),
  [LAST_USED_AT_ATTRIBUTE]: z.string().nullish(),
});

/**
 * The "still in use" check (API.md §8), fed by the notifier's stream subscription with the hot
 * items that changed while they have a pending expiry and a last use (the authorizer writes
 * `last_used_at` there, table/layout.ts). It reads the key (its name and masked value, and the
 * expiry that is the truth), and when the rule says so writes `api_key.still_in_use` with the key's
 * warning mark in one conditional transaction: the event is then mailed (and published) from the
 * outbox like any other, and the mark makes it once per key and expiry however many records,
 * retries or concurrent invocations see the same use.
 */
export function createStillInUseWatcher(deps: StillInUseWatcherDeps): StillInUseWatcher {
  const ulid = monotonicFactory();
  const newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));
  const windowMs = deps.windowMs ?? STILL_IN_USE_WINDOW_MS;

  return async (record) => {
    const parsed = hotItemSchema.safeParse(unmarshall((record.dynamodb?.NewImage ?? {}) as Record<string, AttributeValue>));
    if (!parsed.success) {
      // An item the store did not write can never be warned about; retrying would block the shard.
      logger.warn('still-in-use check skipped: not a hot item', { sequence_number: record.dynamodb?.SequenceNumber });
      return;
    }
    const item = parsed.data;
    const lastUsedAt = item[LAST_USED_AT_ATTRIBUTE] ?? null;
    // Decided on the image first: most records are uses long before the window, and cost no read.
    if (!stillInUse({ expiresAt: item.expires_at ?? null, lastUsedAt, warnedFor: null }, windowMs).warn) return;
    const key = await deps.store.getKey(item.organization_id, item.api_key_id);
    if (!key) return;
    // The warning mark is the transaction's condition (once per key and expiry), not read here.
    const decision = stillInUse({ expiresAt: key.expiresAt, lastUsedAt, warnedFor: null }, windowMs);
    if (!decision.warn) return;

    const event = keyEvent({
      id: newId(),
      type: 'api_key.still_in_use',
      key: { id: key.id, organizationId: key.organizationId, name: key.name, maskedValue: key.maskedValue },
      actor: { type: 'system' },
      at: deps.clock.now(),
      details: { last_used_at: decision.lastUsedAt, expires_at: decision.expiresAt },
    });
    const written = await deps.store.recordStillInUse({
      organizationId: key.organizationId,
      apiKeyId: key.id,
      expiresAt: decision.expiresAt,
      event,
    });
    logger.info(written ? 'still-in-use warning recorded' : 'still-in-use warning already recorded, or the expiry changed', {
      organization_id: key.organizationId,
      api_key_id: key.id,
      expires_at: decision.expiresAt,
      last_used_at: decision.lastUsedAt,
      ...(written ? { event_id: event.id } : {}),
    });
  };
}
