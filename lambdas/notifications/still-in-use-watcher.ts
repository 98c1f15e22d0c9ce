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
import { LAST_USED_AT_ATTRIBUTE, STILL_IN_USE_WARNED_FOR_ATTRIBUTE } from '../table/layout';

export interface StillInUseWatcherDeps {
  store: Pick<KeyStore, 'recordStillInUse'>;
  clock: Clock;
  /** @default STILL_IN_USE_WINDOW_MS (one hour) */
  windowMs?: number;
  newId?: () => string;
}

/** Checks one changed key item from the stream; throws only when the check must be retried. */
export type StillInUseWatcher = (record: DynamoDBRecord) => Promise<void>;

/** A key item as the store writes it (the stream's NEW_IMAGE, unmarshalled): the fields the warning needs. */
const keyItemSchema = z.object({
  id: z.string().min(1),
  organization_id: z.string().min(1),
  name: z.string().nullish(),
  masked_value: z.string(),
  expires_at: z.string().nullish(),
  [LAST_USED_AT_ATTRIBUTE]: z.string().nullish(),
  [STILL_IN_USE_WARNED_FOR_ATTRIBUTE]: z.string().nullish(),
});

/**
 * The "still in use" check (API.md §8), fed by the notifier's stream subscription with the key
 * items that changed while they have a pending expiry and a last use. When the rule says so, it
 * writes `api_key.still_in_use` with the key's warning mark in one conditional transaction: the
 * event is then mailed (and published) from the outbox like any other, and the mark makes it once
 * per key and expiry however many records, retries or concurrent invocations see the same use.
 */
export function createStillInUseWatcher(deps: StillInUseWatcherDeps): StillInUseWatcher {
  const ulid = monotonicFactory();
  const newId = deps.newId ?? (() => ulid(deps.clock.now().getTime()));
  const windowMs = deps.windowMs ?? STILL_IN_USE_WINDOW_MS;

  return async (record) => {
    const parsed = keyItemSchema.safeParse(unmarshall((record.dynamodb?.NewImage ?? {}) as Record<string, AttributeValue>));
    if (!parsed.success) {
      // A key item the store did not write can never be warned about; retrying would block the shard.
      logger.warn('still-in-use check skipped: not a key item', { sequence_number: record.dynamodb?.SequenceNumber });
      return;
    }
    const item = parsed.data;
    const decision = stillInUse(
      {
        expiresAt: item.expires_at ?? null,
        lastUsedAt: item[LAST_USED_AT_ATTRIBUTE] ?? null,
        warnedFor: item[STILL_IN_USE_WARNED_FOR_ATTRIBUTE] ?? null,
      },
      windowMs,
    );
    if (!decision.warn) return;

    const event = keyEvent({
      id: newId(),
      type: 'api_key.still_in_use',
      key: { id: item.id, organizationId: item.organization_id, name: item.name ?? null, maskedValue: item.masked_value },
      actor: { type: 'system' },
      at: deps.clock.now(),
      details: { last_used_at: decision.lastUsedAt, expires_at: decision.expiresAt },
    });
    const written = await deps.store.recordStillInUse({
      organizationId: item.organization_id,
      apiKeyId: item.id,
      expiresAt: decision.expiresAt,
      event,
    });
    logger.info(written ? 'still-in-use warning recorded' : 'still-in-use warning already recorded, or the expiry changed', {
      organization_id: item.organization_id,
      api_key_id: item.id,
      expires_at: decision.expiresAt,
      last_used_at: decision.lastUsedAt,
      ...(written ? { event_id: event.id } : {}),
    });
  };
}
