import type { DynamoDBRecord } from 'aws-lambda';
import {
  KEY_USAGE_STREAM_FILTER,
  MAIL_STREAM_FILTER,
  matchesKeyUsageFilter,
  matchesMailFilter,
  matchesNotifierFilter,
} from '../../../lambdas/notifications/stream-filter';

function record(eventName: DynamoDBRecord['eventName'], image: Record<string, string>): DynamoDBRecord {
  return {
    eventName,
    dynamodb: { NewImage: Object.fromEntries(Object.entries(image).map(([name, value]) => [name, { S: value }])) },
  };
}

describe('mail stream filter', () => {
  it.each(['api_key.created', 'api_key.rotated', 'api_key.retired', 'api_key.deleted', 'api_key.still_in_use'])(
    'lets a new %s event through',
    (type) => {
      expect(matchesMailFilter(record('INSERT', { entity: 'audit_event', type }))).toBe(true);
    },
  );

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
              'api_key.still_in_use',
              'api_key.expired',
              'api_key.expiry_reminder_sent',
              'api_key.leaked',
            ],
          },
        },
      },
    });
  });
});

describe('key usage stream filter (the "still in use" check)', () => {
  const used = { entity: 'api_key_hash', expires_at: '2036-11-26T05:00:00.000Z', last_used_at: '2036-11-26T04:30:00.000Z' };

  it('lets a changed hot item (where the authorizer writes last_used_at) with a pending expiry and a last use through, to the notifier too', () => {
    expect(matchesKeyUsageFilter(record('MODIFY', used))).toBe(true);
    expect(matchesNotifierFilter(record('MODIFY', used))).toBe(true);
  });

  it('drops keys without an expiry or never used, new hot items, key items and audit events', () => {
    const { expires_at: _expiry, ...noExpiry } = used;
    const { last_used_at: _use, ...neverUsed } = used;
    expect(matchesKeyUsageFilter(record('MODIFY', noExpiry))).toBe(false);
    expect(matchesKeyUsageFilter(record('MODIFY', neverUsed))).toBe(false);
    expect(matchesKeyUsageFilter(record('INSERT', used))).toBe(false);
    expect(matchesKeyUsageFilter(record('MODIFY', { ...used, entity: 'api_key' }))).toBe(false);
    expect(matchesNotifierFilter(record('MODIFY', { entity: 'audit_event', type: 'api_key.created' }))).toBe(false);
  });

  it('states the same rule as the pattern given to the event-source mapping', () => {
    expect(KEY_USAGE_STREAM_FILTER).toEqual({
      eventName: ['MODIFY'],
      dynamodb: {
        NewImage: { entity: { S: ['api_key_hash'] }, expires_at: { S: [{ exists: true }] }, last_used_at: { S: [{ exists: true }] } },
      },
    });
  });
});
