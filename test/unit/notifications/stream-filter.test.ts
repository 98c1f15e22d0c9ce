import type { DynamoDBRecord } from 'aws-lambda';
import { MAIL_STREAM_FILTER, matchesMailFilter } from '../../../lambdas/notifications/stream-filter';

function record(eventName: DynamoDBRecord['eventName'], image: Record<string, string>): DynamoDBRecord {
  return {
    eventName,
    dynamodb: { NewImage: Object.fromEntries(Object.entries(image).map(([name, value]) => [name, { S: value }])) },
  };
}

describe('mail stream filter', () => {
  it.each(['api_key.created', 'api_key.rotated', 'api_key.retired', 'api_key.deleted'])('lets a new %s event through', (type) => {
    expect(matchesMailFilter(record('INSERT', { entity: 'audit_event', type }))).toBe(true);
  });

  it.each(['api_key.updated', 'api_key.revealed'])('drops %s, which sends no email', (type) => {
    expect(matchesMailFilter(record('INSERT', { entity: 'audit_event', type }))).toBe(false);
  });

  it('drops changes that are not new audit events (modified items, keys, delivery claims)', () => {
    expect(matchesMailFilter(record('MODIFY', { entity: 'audit_event', type: 'api_key.created' }))).toBe(false);
    expect(matchesMailFilter(record('INSERT', { entity: 'api_key', type: 'api_key.created' }))).toBe(false);
    expect(matchesMailFilter(record('INSERT', { pk: 'DELIVERY#e1', status: 'pending' }))).toBe(false);
  });

  it('states the same rule as the pattern given to the event-source mapping', () => {
    expect(MAIL_STREAM_FILTER).toEqual({
      eventName: ['INSERT'],
      dynamodb: {
        NewImage: {
          entity: { S: ['audit_event'] },
          type: {
            S: [
              'api_key.created',
              'api_key.rotated',
              'api_key.retired',
              'api_key.deleted',
              'api_key.expired',
              'api_key.expiry_reminder_sent',
            ],
          },
        },
      },
    });
  });
});
