import type { DynamoDBRecord } from 'aws-lambda';
import { MAILED_EVENT_TYPES } from '../domain/audit-event';
import { ENTITY, LAST_USED_AT_ATTRIBUTE } from '../table/layout';

/**
 * The notifier's event-source mapping filters (Lambda event filtering syntax), one pattern per job.
 * The CDK stack passes them to `FilterCriteria.filter(...)`; the local stream poller applies the
 * same patterns with the matchers below, and the notifier checks them again because a filter is
 * configuration and the handler must not trust it.
 */

/** New audit-event items whose type sends an email. */
export const MAIL_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: {
    NewImage: {
      entity: { S: ['audit_event'] },
      type: { S: [...MAILED_EVENT_TYPES] },
    },
  },
} as const;

/**
 * Changed hot items that have both a pending `expires_at` and a `last_used_at`: the only records
 * the "still in use" check can act on. The authorizer writes `last_used_at` on the hot item at
 * most once a minute per key, so this adds at most one record a minute per expiring key in use;
 * the stream has no old image, so whether `last_used_at` is what changed is left to the check (it
 * is cheap).
 */
export const KEY_USAGE_STREAM_FILTER = {
  eventName: ['MODIFY'],
  dynamodb: {
    NewImage: {
      entity: { S: [ENTITY.hotKey] },
      expires_at: { S: [{ exists: true }] },
      [LAST_USED_AT_ATTRIBUTE]: { S: [{ exists: true }] },
    },
  },
} as const;

export function matchesMailFilter(record: DynamoDBRecord): boolean {
  if (record.eventName !== 'INSERT') return false;
  const image = record.dynamodb?.NewImage;
  const entity = image?.entity?.S;
  const type = image?.type?.S;
  return entity === 'audit_event' && type !== undefined && (MAILED_EVENT_TYPES as readonly string[]).includes(type);
}

export function matchesKeyUsageFilter(record: DynamoDBRecord): boolean {
  if (record.eventName !== 'MODIFY') return false;
  const image = record.dynamodb?.NewImage;
  return image?.entity?.S === ENTITY.hotKey && image.expires_at?.S !== undefined && image[LAST_USED_AT_ATTRIBUTE]?.S !== undefined;
}

/** What the notifier's mapping delivers: either pattern. */
export function matchesNotifierFilter(record: DynamoDBRecord): boolean {
  return matchesMailFilter(record) || matchesKeyUsageFilter(record);
}
