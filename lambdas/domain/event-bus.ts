/**
 * Lifecycle events for integrations (API.md §8 "Events for integrations"): every audit event,
 * exactly as stored, on an event bus. The port the publisher (events/publisher.ts) sends through:
 * EventBridge in AWS (adapters/eventbridge-event-bus.ts), a JSON Lines file locally
 * (adapters/jsonl-event-bus.ts).
 */

/** EventBridge's `source` of every keyward event. */
export const EVENT_SOURCE = 'keyward';

/** At most this many events per `publish` call: PutEvents takes at most 10 entries. */
export const MAX_EVENTS_PER_PUBLISH = 10;

/** The audit event as stored, with its organization: `detail` of the published event. */
export type EventDetail = Record<string, unknown> & { id: string; type: string; occurred_at: string; organization_id: string };

export interface LifecycleEvent {
  /** The audit event's id: consumers dedupe on `detail.id`. */
  id: string;
  /** The audit event's type, EventBridge's `detail-type`. */
  detailType: string;
  /** The audit event's `occurred_at`. */
  time: string;
  detail: EventDetail;
}

export interface EventBus {
  /**
   * Publishes up to MAX_EVENTS_PER_PUBLISH events and returns the ids of those that were not
   * accepted (a partial failure); throws when the call as a whole failed.
   */
  publish(events: readonly LifecycleEvent[]): Promise<{ failed: { id: string; reason: string }[] }>;
}
