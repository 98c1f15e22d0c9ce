import type { DynamoDBRecord } from 'aws-lambda';
import { MAILED_EVENT_TYPES } from '../domain/audit-event';

/**
 * The event-source mapping's filter (Lambda event filtering syntax): new audit-event items whose
 * type sends an email. The CDK stack passes it to `FilterCriteria.filter(...)`; the local stream
 * poller applies the same pattern with `matchesMailFilter`, and the notifier checks it again
 * because a filter is configuration and the handler must not trust it.
 */
export const MAIL_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: {
    NewImage: {
      entity: { S: ['audit_event'] },
      type: { S: [...MAILED_EVENT_TYPES] },
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
