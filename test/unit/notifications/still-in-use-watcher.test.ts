import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AuditEvent } from '../../../lambdas/domain/audit-event';
import { ManualClock } from '../../../lambdas/domain/clock';
import { createStillInUseWatcher } from '../../../lambdas/notifications/still-in-use-watcher';

const EXPIRES_AT = '2036-11-26T05:00:00.000Z';

function keyRecord(item: Record<string, unknown>): DynamoDBRecord {
  const image = {
    pk: 'ORG#acme',
    sk: 'KEY#key-1',
    entity: 'api_key',
    id: 'key-1',
    organization_id: 'acme',
    name: 'Billing sync',
    masked_value: 'kw_••••••••9fQz',
    token_hash: 'a'.repeat(64),
    encrypted_token: 'ciphertext',
    expires_at: EXPIRES_AT,
    ...item,
  };
  return { eventName: 'MODIFY', dynamodb: { SequenceNumber: '1', NewImage: marshall(image) as Record<string, AttributeValue> } };
}

function recordingStore(result = true) {
  const calls: { organizationId: string; apiKeyId: string; expiresAt: string; event: AuditEvent }[] = [];
  const recordStillInUse = async (input: (typeof calls)[number]) => {
    calls.push(input);
    return result;
  };
  return { calls, recordStillInUse };
}

describe('the still-in-use watcher', () => {
  const clock = new ManualClock('2036-11-26T04:50:00.000Z');

  it('records api_key.still_in_use at the clock’s time, naming the last use and the expiry, never the token', async () => {
    const store = recordingStore();
    await createStillInUseWatcher({ store, clock, newId: () => 'event-1' })(keyRecord({ last_used_at: '2036-11-26T04:41:07.000Z' }));

    expect(store.calls).toEqual([
      {
        organizationId: 'acme',
        apiKeyId: 'key-1',
        expiresAt: EXPIRES_AT,
        event: {
          id: 'event-1',
          organizationId: 'acme',
          type: 'api_key.still_in_use',
          occurredAt: '2036-11-26T04:50:00.000Z',
          actor: { type: 'system' },
          apiKeyId: 'key-1',
          details: {
            name: 'Billing sync',
            masked_value: 'kw_••••••••9fQz',
            last_used_at: '2036-11-26T04:41:07.000Z',
            expires_at: EXPIRES_AT,
          },
        },
      },
    ]);
    expect(JSON.stringify(store.calls)).not.toMatch(/ciphertext|a{64}/);
  });

  it('writes nothing for a use before the window, a key already warned for this expiry, or an item that is not a key', async () => {
    const store = recordingStore();
    const watch = createStillInUseWatcher({ store, clock });
    await watch(keyRecord({ last_used_at: '2036-11-26T03:59:59.999Z' }));
    await watch(keyRecord({ last_used_at: '2036-11-26T04:41:07.000Z', still_in_use_warned_for: EXPIRES_AT }));
    await watch(keyRecord({ last_used_at: '2036-11-26T04:41:07.000Z', masked_value: 42 }));
    expect(store.calls).toEqual([]);
  });

  it('uses the window it is given (the local runtime shortens it for end-to-end tests)', async () => {
    const store = recordingStore();
    const watch = createStillInUseWatcher({ store, clock, windowMs: 10_000 });
    await watch(keyRecord({ last_used_at: '2036-11-26T04:59:49.000Z' }));
    await watch(keyRecord({ last_used_at: '2036-11-26T04:59:51.000Z' }));
    expect(store.calls.map((call) => call.event.details.last_used_at)).toEqual(['2036-11-26T04:59:51.000Z']);
  });
});
