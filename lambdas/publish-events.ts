import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeEventBus } from './adapters/eventbridge-event-bus';
import { createEventPublisher, type EventPublisher } from './events/publisher';
import { eventsConfig } from './runtime/config';

/**
 * The event publisher Lambda: the table stream's second event-source mapping (filtered to new
 * audit events, ReportBatchItemFailures on, on-failure destination its own SQS queue) invokes it;
 * locally a stream poller of its own does, with the JSON Lines bus. The logic is in
 * events/publisher.ts. It touches no table item: the mapping reads the stream for it.
 */
const { EVENT_BUS_NAME } = eventsConfig();

export const handler: EventPublisher = createEventPublisher({ bus: new EventBridgeEventBus(new EventBridgeClient({}), EVENT_BUS_NAME) });
