import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { EventBridgeEventBus } from '../../../lambdas/adapters/eventbridge-event-bus';
import { ManualClock } from '../../../lambdas/domain/clock';
import { createEventPublisher } from '../../../lambdas/events/publisher';
import { matchesAuditEventFilter } from '../../../lambdas/events/stream-filter';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import type { OrganizationService } from '../../../lambdas/service/organization-service';
import { createTestTable } from '../../support/dynamodb';
import { testServices } from '../../support/services';
import { allStreamRecords } from '../../support/stream-records';

// EventBridge has no local engine: the mock stands in for the bus, DynamoDB Local for the outbox.
const eventBridge = mockClient(EventBridgeClient);
const ADMIN = 'alice@acme.test';
const ACTOR = { type: 'user', email: ADMIN } as const;
const TOKEN_SHAPE = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/;

describe('the event publisher on the outbox of DynamoDB Local', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let keys: ApiKeyService;
  let organizations: OrganizationService;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');
  let orgCounter = 0;
  const calls = () => eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
  const publisher = () =>
    createEventPublisher({
      bus: new EventBridgeEventBus(new EventBridgeClient({ region: 'us-east-1' }), 'keyward-test-events'),
      sleep: async () => undefined,
    });

  beforeAll(async () => {
    table = await createTestTable();
    const db = DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } });
    ({ keys, organizations } = testServices(new DynamoDbKeyStore(db, table.tableName), clock));
  });
  beforeEach(() => eventBridge.reset());
  afterAll(() => table.drop());

  /** A new organization with a dozen audit events (more than one PutEvents call holds), and its stream records. */
  async function busyOrganization(): Promise<{ id: string; records: DynamoDBRecord[]; tokens: string[] }> {
    const id = `org-${++orgCounter}`;
    const { api_key: first } = await organizations.create({ name: `Acme ${orgCounter}`, id, admins: [ADMIN] });
    const tokens = [first.value];
    for (let i = 0; i < 5; i++) {
      const created = await keys.create(id, ACTOR, { name: `key ${i}` });
      tokens.push(created.value);
      await keys.update(id, ACTOR, created.id, { name: `renamed ${i}` });
    }
    await keys.rotate(id, ACTOR, first.id, { expires_in: '24h' });
    const records = (await allStreamRecords(table.client, table.tableName)).filter(
      (record) => matchesAuditEventFilter(record) && record.dynamodb?.NewImage?.organization_id?.S === id,
    );
    return { id, records, tokens };
  }

  const detailIds = (entries: PutEventsRequestEntry[]) => entries.map((entry) => JSON.parse(entry.Detail!).id as string);

  it('publishes every audit event exactly as stored, ten entries per call at most, source keyward, detail-type its type', async () => {
    const org = await busyOrganization();
    expect(org.records).toHaveLength(12);
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `eb-${i}` })),
    }));

    const response = await publisher()({ Records: org.records });

    expect(response.batchItemFailures).toEqual([]);
    expect(calls().map((entries) => entries.length)).toEqual([10, 2]);
    const entries = calls().flat();
    const stored = org.records.map((record) => record.dynamodb!.NewImage!);
    expect(detailIds(entries)).toEqual(stored.map((image) => image.id!.S));
    for (const entry of entries) {
      const detail = JSON.parse(entry.Detail!);
      expect(entry).toMatchObject({
        EventBusName: 'keyward-test-events',
        Source: 'keyward',
        DetailType: detail.type,
        Time: new Date(detail.occurred_at),
      });
      expect(Object.keys(detail).sort()).toEqual(['actor', 'api_key_id', 'details', 'id', 'occurred_at', 'organization_id', 'type']);
      expect(detail.organization_id).toBe(org.id);
      expect(entry.Detail).not.toMatch(TOKEN_SHAPE);
      for (const token of org.tokens) expect(entry.Detail).not.toContain(token);
    }
    expect(entries.map((entry) => entry.DetailType)).toEqual([
      'api_key.created',
      ...Array.from({ length: 5 }, () => ['api_key.created', 'api_key.updated']).flat(),
      'api_key.rotated',
    ]);
  });

  it('re-sends only the entries EventBridge refused, with backoff, until they are accepted', async () => {
    const org = await busyOrganization();
    const refusedOnce = new Set([org.records[1]!, org.records[7]!].map((record) => record.dynamodb!.NewImage!.id!.S!));
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      const results = input.Entries.map((entry) => {
        const id = JSON.parse(entry.Detail!).id as string;
        if (!refusedOnce.delete(id)) return { EventId: `eb-${id}` };
        return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    });
    const pauses: number[] = [];
    const publish = createEventPublisher({
      bus: new EventBridgeEventBus(new EventBridgeClient({ region: 'us-east-1' }), 'keyward-test-events'),
      sleep: async (ms) => void pauses.push(ms),
    });

    const response = await publish({ Records: org.records });

    expect(response.batchItemFailures).toEqual([]);
    expect(calls().map((entries) => detailIds(entries).length)).toEqual([10, 2, 2]);
    expect(detailIds(calls()[1]!)).toEqual([org.records[1], org.records[7]].map((record) => record!.dynamodb!.NewImage!.id!.S));
    expect(pauses).toEqual([100]);
  });

  it('reports only the records it could not publish after its bounded retries, for the mapping to retry and then park', async () => {
    const org = await busyOrganization();
    const stuck = org.records[11]!;
    const stuckId = stuck.dynamodb!.NewImage!.id!.S!;
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      const results = input.Entries.map((entry) =>
        JSON.parse(entry.Detail!).id === stuckId ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: 'ok' },
      );
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    });

    const response = await publisher()({ Records: org.records });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: stuck.dynamodb!.SequenceNumber }]);
    // One call of ten, then the last two, then three more attempts of the stuck one alone: four in all for it.
    expect(calls().map((entries) => entries.length)).toEqual([10, 2, 1, 1, 1]);
  });

  it('counts a call that fails as a whole as a failure of all its entries, and retries them', async () => {
    const org = await busyOrganization();
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(new Error('socket hang up'))
      .callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'ok' })) }));

    const response = await publisher()({ Records: org.records.slice(0, 3) });

    expect(response.batchItemFailures).toEqual([]);
    expect(calls().map((entries) => entries.length)).toEqual([3, 3]);
  });
});
