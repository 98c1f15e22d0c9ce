import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { EventBus, LifecycleEvent } from '../../../lambdas/domain/event-bus';
import { createEventPublisher } from '../../../lambdas/events/publisher';

function record(sequenceNumber: string, image: Record<string, unknown>, eventName: DynamoDBRecord['eventName'] = 'INSERT'): DynamoDBRecord {
  return { eventName, dynamodb: { SequenceNumber: sequenceNumber, NewImage: marshall(image) as Record<string, AttributeValue> } };
}

const auditEvent = (id: string) => ({
  pk: 'ORG#acme',
  sk: `EVENT#${id}`,
  entity: 'audit_event',
  id,
  organization_id: 'acme',
  type: 'organization.settings_updated',
  occurred_at: '2036-11-26T04:00:00.000Z',
  actor: { type: 'user', email: 'a@acme.test' },
  details: { max_key_lifetime_days: 90 },
});

class RecordingBus implements EventBus {
  readonly published: LifecycleEvent[][] = [];
  async publish(events: readonly LifecycleEvent[]) {
    this.published.push([...events]);
    return { failed: [] };
  }
}

describe('the event publisher', () => {
  it('publishes any audit type as stored, without the table’s own attributes, and skips every other record', async () => {
    const bus = new RecordingBus();
    const response = await createEventPublisher({ bus })({
      Records: [
        record('1', auditEvent('e1')),
        record('2', { pk: 'ORG#acme', sk: 'KEY#k1', entity: 'api_key', id: 'k1' }, 'MODIFY'),
        record('3', { pk: 'DELIVERY#e1', sk: 'DELIVERY', status: 'sent' }),
      ],
    });
    expect(response.batchItemFailures).toEqual([]);
    const { pk: _pk, sk: _sk, entity: _entity, ...detail } = auditEvent('e1');
    expect(bus.published).toEqual([[{ id: 'e1', detailType: 'organization.settings_updated', time: '2036-11-26T04:00:00.000Z', detail }]]);
  });

  it('reports an audit-event record it cannot read, and publishes the others', async () => {
    const bus = new RecordingBus();
    const { id: _id, ...withoutId } = auditEvent('e2');
    const response = await createEventPublisher({ bus })({ Records: [record('1', withoutId), record('2', auditEvent('e3'))] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
    expect(bus.published.flat().map((event) => event.id)).toEqual(['e3']);
  });
});
