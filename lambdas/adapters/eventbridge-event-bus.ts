import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type EventBus, type LifecycleEvent, MAX_EVENTS_PER_PUBLISH } from '../domain/event-bus';

/**
 * The EventBus port on an EventBridge bus: one PutEvents call per publish (source `keyward`,
 * detail-type the audit type, detail the stored audit event). PutEvents answers 200 even when
 * some entries were refused; those come back by position, with an error code, as failures.
 */
export class EventBridgeEventBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly LifecycleEvent[]): Promise<{ failed: { id: string; reason: string }[] }> {
    if (events.length > MAX_EVENTS_PER_PUBLISH) throw new Error(`PutEvents takes at most ${MAX_EVENTS_PER_PUBLISH} entries`);
    if (events.length === 0) return { failed: [] };
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          EventBusName: this.busName,
          Source: EVENT_SOURCE,
          DetailType: event.detailType,
          Detail: JSON.stringify(event.detail),
          Time: new Date(event.time),
        })),
      }),
    );
    if (!result.FailedEntryCount) return { failed: [] };
    const entries = result.Entries ?? [];
    return {
      failed: events
        .map((event, index) => ({ event, entry: entries[index] }))
        // An answer without an entry for this position says nothing was accepted for it.
        .filter(({ entry }) => entry === undefined || entry.ErrorCode !== undefined || entry.EventId === undefined)
        .map(({ event, entry }) => ({ id: event.id, reason: `${entry?.ErrorCode ?? 'NoEntry'}: ${entry?.ErrorMessage ?? 'no result'}` })),
    };
  }
}
