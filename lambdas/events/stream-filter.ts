import type { DynamoDBRecord } from 'aws-lambda';
import { ENTITY } from '../table/layout';

/**
 * The event publisher's event-source mapping filter: every new audit event, whatever its type.
 * The CDK stack states it with `FilterCriteria.filter(...)` on the sort-key prefix; the local
 * stream poller applies it with `matchesAuditEventFilter`, which the publisher checks again.
 */
export const AUDIT_EVENT_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { entity: { S: [ENTITY.auditEvent] } } },
} as const;

export function matchesAuditEventFilter(record: DynamoDBRecord): boolean {
  return record.eventName === 'INSERT' && record.dynamodb?.NewImage?.entity?.S === ENTITY.auditEvent;
}
