import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type EventBus, type EventDetail, type LifecycleEvent, MAX_EVENTS_PER_PUBLISH } from '../domain/event-bus';
import { logger } from '../observability/logger';
import { PARTITION_KEY, SORT_KEY } from '../table/layout';
import { matchesAuditEventFilter } from './stream-filter';

export interface EventPublisherOptions {
  bus: EventBus;
  /** Sends of one entry before its record is reported failed (to the mapping's retries, then its DLQ). @default 4 */
  maxAttempts?: number;
  /** First pause before re-sending failed entries, doubled each time. @default 100 */
  retryBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type EventPublisher = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/** What the table adds to every item; the rest of an audit-event item is the audit event. */
const TABLE_ATTRIBUTES = new Set([PARTITION_KEY, SORT_KEY, 'entity']);

/** The audit event of a stream record, exactly as stored, or why it cannot be one. */
function toLifecycleEvent(record: DynamoDBRecord): LifecycleEvent | string {
  const image = unmarshall((record.dynamodb?.NewImage ?? {}) as Record<string, AttributeValue>);
  const detail = Object.fromEntries(Object.entries(image).filter(([name]) => !TABLE_ATTRIBUTES.has(name)));
  for (const field of ['id', 'type', 'occurred_at', 'organization_id']) {
    if (typeof detail[field] !== 'string' || detail[field] === '') return `not an audit event: ${field} missing`;
  }
  const stored = detail as EventDetail;
  return { id: stored.id, detailType: stored.type, time: stored.occurred_at, detail: stored };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The event publisher (API.md §8, DESIGN.md "Outbox consumers"): the table's stream, filtered to
 * audit events, drives it; it publishes each one to the bus in calls of at most ten entries, and
 * re-sends only the entries the bus refused, with backoff, a bounded number of times. What still
 * fails is reported as batch item failures, so the mapping retries from those records (and, in the
 * end, describes them in its failure queue); records after them may be published twice, which
 * consumers absorb by deduplicating on `detail.id`, as they must for EventBridge's at-least-once
 * delivery anyway.
 */
export function createEventPublisher(options: EventPublisherOptions): EventPublisher {
  const maxAttempts = options.maxAttempts ?? 4;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const sleep = options.sleep ?? defaultSleep;

  /** Publishes `events` (≤ 10), re-sending refused entries; returns the ids still failed and why. */
  async function publishChunk(events: LifecycleEvent[]): Promise<Map<string, string>> {
    let pending = events;
    let failures = new Map<string, string>();
    for (let attempt = 1; ; attempt++) {
      try {
        const { failed } = await options.bus.publish(pending);
        failures = new Map(failed.map((entry) => [entry.id, entry.reason]));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        failures = new Map(pending.map((event) => [event.id, reason]));
      }
      pending = pending.filter((event) => failures.has(event.id));
      if (pending.length === 0 || attempt >= maxAttempts) return failures;
      await sleep(retryBaseMs * 2 ** (attempt - 1));
    }
  }

  return async (streamEvent) => {
    const failedRecords: DynamoDBRecord[] = [];
    const toPublish: { record: DynamoDBRecord; event: LifecycleEvent }[] = [];
    for (const record of streamEvent.Records) {
      if (!matchesAuditEventFilter(record)) continue;
      const event = toLifecycleEvent(record);
      if (typeof event === 'string') {
        logger.error('stream record not published', { sequence_number: record.dynamodb?.SequenceNumber, reason: event });
        failedRecords.push(record);
      } else {
        toPublish.push({ record, event });
      }
    }

    let published = 0;
    for (let start = 0; start < toPublish.length; start += MAX_EVENTS_PER_PUBLISH) {
      const chunk = toPublish.slice(start, start + MAX_EVENTS_PER_PUBLISH);
      const failures = await publishChunk(chunk.map(({ event }) => event));
      for (const { record, event } of chunk) {
        const reason = failures.get(event.id);
        if (reason === undefined) {
          published += 1;
          continue;
        }
        logger.error('event not published; the record will be retried', { event_id: event.id, event_type: event.detailType, reason });
        failedRecords.push(record);
      }
    }
    if (published > 0) logger.info('events published', { count: published });
    return { batchItemFailures: failedRecords.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
  };
}
