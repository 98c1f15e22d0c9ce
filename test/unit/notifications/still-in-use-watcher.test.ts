import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { StoredApiKey } from '../../../lambdas/domain/api-key';
import type { AuditEvent } from '../../../lambdas/domain/audit-event';
import { ManualClock } from '../../../lambdas/domain/clock';
import { createStillInUseWatcher } from '../../../lambdas/notifications/still-in-use-watcher';

const EXPIRES_AT = '2036-11-26T05:00:00.000Z';

/** A hot item's stream record: where the authorizer writes `last_used_at`. */
function keyRecord(item: Record<string, unknown>): DynamoDBRecord {
  const image = {
    pk: `KEYHASH#${'a'.repeat(64)}`,
    sk: 'KEYHASH',
    entity: 'api_key_hash',
    organization_id: 'acme',
    api_key_id: 'key-1',
    permissions: { customer: ['read'] },
    version: 3,
    expires_at: EXPIRES_AT,
    ...item,
  };
  return { eventName: 'MODIFY', dynamodb: { SequenceNumber: '1', NewImage: marshall(image) as Record<string, AttributeValue> } };
}

const KEY: StoredApiKey = {
  id: 'key-1',
  organizationId: 'acme',
  name: 'Billing sync',
  maskedValue: 'kw_••••••••9fQz',
  permissions: { customer: ['read'] },
  createdAt: '2036-01-01T00:00:00.000Z',
  expiresAt: EXPIRES_AT,
  lastUsedAt: null,
  tokenHash: 'a'.repeat(64),
  encryptedToken: 'ciphertext',
  version: 3,
  retirementJobId: null,
  expirySource: 'rotation',
  reminderMarks: [],
};

function recordingStore(result = true, key: StoredApiKey | null = KEY) {
  const calls: { organizationId: string; apiKeyId: string; expiresAt: string; event: AuditEvent }[] = [];
  const reads: string[] = [];
  const recordStillInUse = async (input: (typeof calls)[number]) => {
    calls.push(input);
    return result;
  };
  const getKey = async (organizationId: string, apiKeyId: string) => {
    reads.push(`${organizationId}/${apiKeyId}`);
    return key ?? undefined;
  };
  return { calls, reads, recordStillInUse, getKey };
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

  it('writes nothing for a use before the window (without reading the key), an item that is not a hot item, or a key that is gone', async () => {
    const store = recordingStore();
    const watch = createStillInUseWatcher({ store, clock });
    await watch(keyRecord({ last_used_at: '2036-11-26T03:59:59.999Z' }));
    await watch(keyRecord({ last_used_at: '2036-11-26T04:41:07.000Z', api_key_id: 42 }));
    expect(store.reads).toEqual([]);
    const gone = recordingStore(true, null);
    await createStillInUseWatcher({ store: gone, clock })(keyRecord({ last_used_at: '2036-11-26T04:41:07.000Z' }));
    expect(gone.reads).toEqual(['acme/key-1']);
    expect([...store.calls, ...gone.calls]).toEqual([]);
  });

  it("decides on the key item's expiry, the truth, not the hot item's copy", async () => {
    const store = recordingStore(true, { ...KEY, expiresAt: null });
    await createStillInUseWatcher({ store, clock })(keyRecord({ last_used_at: '2036-11-26T04:41:07.000Z' }));
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
