import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { apiKeyItem, auditEventItem, memberItem, organizationItem } from '../../../lambdas/adapters/dynamodb/items';
import type { StoredApiKey } from '../../../lambdas/domain/api-key';
import { type AuditEventType, keyEvent } from '../../../lambdas/domain/audit-event';
import { generateToken, hashToken, maskToken } from '../../../lambdas/domain/token';
import { documentClient } from '../../../lambdas/runtime/clients';
import { authorizerEvent } from '../../support/authorizer-events';
import { startDynamoDbStandIn, wireHotItem } from '../../support/dynamodb-stand-in';
import type { DeployedFunction, Deployment } from '../../support/iam-deployment';
import { recordCommands, type SdkStubs, type SentCommand } from './aws-calls';

/**
 * The functions that are not operations of the management API, each driven through its real
 * entry module with the template's environment (entry files read it at load), on the paths that
 * reach AWS: what their code sends is recorded, never listed here. Only the inputs and the
 * answers of the stubbed services are written here.
 */
export type Driver = (d: Deployment, fn: DeployedFunction, stubs: SdkStubs) => Promise<SentCommand[]>;

const ORGANIZATION = 'acme';
const ADMIN = 'admin@acme.test';

function sampleKey(expiresAt: string | null, overrides: Partial<StoredApiKey> = {}): StoredApiKey {
  const token = generateToken('kw');
  return {
    id: '01JDQ3V8Z6M1X0K9B7C5N4P2R8',
    version: 3,
    organizationId: ORGANIZATION,
    name: 'billing',
    maskedValue: maskToken(token),
    permissions: { customer: ['read'] },
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt,
    expirySource: expiresAt === null ? null : 'request',
    reminderMarks: expiresAt === null ? [] : [7],
    lastUsedAt: null,
    tokenHash: hashToken(token),
    encryptedToken: 'c2VhbGVk',
    retirementJobId: expiresAt === null ? null : 'job-1',
    ...overrides,
  };
}

/** The table as the stubbed document client answers it: the organization, its admin, `key`; writes succeed. */
function answerTable(stubs: SdkStubs, key: StoredApiKey): void {
  stubs.dynamo.reset();
  stubs.dynamo.onAnyCommand().resolves({});
  stubs.dynamo.on(GetCommand).callsFake((input: { Key: { sk: string } }) => {
    if (input.Key.sk === 'ORG')
      return { Item: organizationItem({ id: ORGANIZATION, name: 'Acme', createdAt: '2026-01-01T00:00:00.000Z' }, 1) };
    if (input.Key.sk.startsWith('KEY#')) return { Item: apiKeyItem(key) };
    return {};
  });
  stubs.dynamo.on(QueryCommand).resolves({ Items: [memberItem({ organizationId: ORGANIZATION, email: ADMIN, role: 'admin' })] });
}

/** Loads an entry file after putting the function's environment in place, as Lambda does. */
async function load<T>(fn: DeployedFunction, entry: () => Promise<T>, extra: Record<string, string> = {}): Promise<T> {
  Object.assign(process.env, fn.environment, extra);
  return entry();
}

function streamRecord(
  d: Deployment,
  fn: DeployedFunction,
  eventName: 'INSERT' | 'MODIFY',
  item: Record<string, unknown>,
  sequence: string,
): DynamoDBRecord {
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    awsRegion: d.region,
    eventSourceARN: fn.eventSources[0]!.streamArn,
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: sequence,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

function auditRecord(d: Deployment, fn: DeployedFunction, type: AuditEventType, key: StoredApiKey, sequence: string): DynamoDBRecord {
  const event = keyEvent({ id: `01JDQ3V8Z6M1X0K9B7C5N4P${sequence}`, type, key, actor: { type: 'system' }, at: new Date() });
  return streamRecord(d, fn, 'INSERT', auditEventItem(event), sequence);
}

const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

export const DRIVERS: Record<string, Driver> = {
  /** Allows a key and records its use: the hot-path read and the last_used_at write (its own HTTP adapter, not the SDK). */
  'api-key-authorizer': async (_d, fn) => {
    const standIn = await startDynamoDbStandIn();
    try {
      const token = generateToken(fn.environment.KEY_PREFIX);
      standIn.respond((request) => (request.operation === 'GetItem' ? { json: { Item: wireHotItem(token) } } : { json: {} }));
      const { handler } = await load(fn, () => import('../../../lambdas/api-key-authorizer'), {
        DYNAMODB_ENDPOINT: standIn.endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKID',
        AWS_SECRET_ACCESS_KEY: 'secret',
      });
      const result = await handler(authorizerEvent({ method: 'GET', resource: '/v1/customers', headers: { 'x-api-key': token } }));
      if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('the authorizer did not allow the sample key');
      // The JSON protocol's operations, by the low-level command each stands for.
      return standIn.requests.map((request) => ({ name: `${request.operation}Command`, input: request.body }));
    } finally {
      await standIn.close();
    }
  },

  /** The membership lookup behind a verified admin token (the JWT check itself calls no AWS API). */
  'admin-authorizer': async (_d, fn, stubs) => {
    const { createAdminAuthorizer } = await load(fn, () => import('../../../lambdas/admin-authorizer'));
    const { DynamoDbKeyStore } = await import('../../../lambdas/adapters/dynamodb/key-store');
    stubs.dynamo.reset();
    stubs.dynamo.onAnyCommand().resolves({ Item: memberItem({ organizationId: ORGANIZATION, email: ADMIN, role: 'admin' }) });
    const handler = createAdminAuthorizer({
      store: new DynamoDbKeyStore(documentClient(), fn.environment.TABLE_NAME!),
      verify: async () => ({ email: ADMIN }),
    });
    return recordCommands(stubs, () =>
      handler(authorizerEvent({ headers: { authorization: 'Bearer token' }, pathParameters: { organization_id: ORGANIZATION } })),
    );
  },

  /** Retires a key whose expiry has come. */
  'retire-api-key': async (_d, fn, stubs) => {
    const key = sampleKey(new Date(Date.now() - 60_000).toISOString());
    answerTable(stubs, key);
    const { handler } = await load(fn, () => import('../../../lambdas/retire-api-key'));
    return recordCommands(stubs, async () => {
      const outcome = await handler({ organization_id: ORGANIZATION, api_key_id: key.id, expires_at: key.expiresAt });
      if (outcome !== 'retired') throw new Error(`the retire function answered ${outcome}`);
    });
  },

  /** Records a reminder seven days before a key's expiry. */
  'remind-api-key-expiry': async (_d, fn, stubs) => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const key = sampleKey(expiresAt);
    answerTable(stubs, key);
    const { handler } = await load(fn, () => import('../../../lambdas/remind-api-key-expiry'));
    return recordCommands(stubs, async () => {
      const outcome = await handler({
        organization_id: ORGANIZATION,
        api_key_id: key.id,
        expires_at: expiresAt,
        mark_days: 7,
        remind_at: new Date().toISOString(),
      });
      if (outcome !== 'reminded') throw new Error(`the remind function answered ${outcome}`);
    });
  },

  /**
   * Mails an audit event (sent; refused by SES, as the sandbox refuses an unverified recipient;
   * failed for a retry, which notes the batch for redrive) and records a "still in use" warning.
   * Only where its stream subscription is enabled: without a sender it is never invoked.
   */
  'notify-admins': async (d, fn, stubs) => {
    if (!fn.eventSources.some((source) => source.enabled)) return [];
    const key = sampleKey(new Date(Date.now() + 30 * 60_000).toISOString(), { lastUsedAt: new Date().toISOString() });
    answerTable(stubs, key);
    const { handler } = await load(fn, () => import('../../../lambdas/notify-admins'));
    const mail = (sequence: string) => streamEvent(auditRecord(d, fn, 'api_key.created', key, sequence));
    const sesError = (name: string) => Object.assign(new Error(name), { name });
    return recordCommands(stubs, async () => {
      stubs.ses.on(SendEmailCommand).resolves({ MessageId: 'sent' });
      await handler(mail('100'));
      stubs.ses.on(SendEmailCommand).rejects(sesError('MessageRejected'));
      await handler(mail('200'));
      stubs.ses.on(SendEmailCommand).rejects(sesError('Throttling'));
      const retried = await handler(mail('300'));
      if (retried.batchItemFailures.length !== 1) throw new Error('the throttled email was not reported for a retry');
      await handler(streamEvent(streamRecord(d, fn, 'MODIFY', apiKeyItem(key), '400')));
    });
  },

  /** Publishes an audit event to the stage's bus. */
  'publish-events': async (d, fn, stubs) => {
    const key = sampleKey(null);
    stubs.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
    const { handler } = await load(fn, () => import('../../../lambdas/publish-events'));
    return recordCommands(stubs, () => handler(streamEvent(auditRecord(d, fn, 'api_key.created', key, '500'))));
  },

  /**
   * Counts two batches of the access log (an allowed, a denied and a throttled request of one key)
   * as CloudWatch Logs delivers them: one of this hour (a raw tally) and one of an hour long
   * closed (late: the raw tally and the counters in one transaction).
   */
  'aggregate-usage': async (_d, fn, stubs) => {
    const { handler } = await load(fn, () => import('../../../lambdas/aggregate-usage'));
    const { encodeLogsEvent } = await import('../../../lambdas/usage/aggregator');
    const logsEvent = (stream: string, atMs: number) => {
      const at = String(atMs);
      const line = (fields: Record<string, string>) =>
        JSON.stringify({ organization_id: ORGANIZATION, principal_id: 'key-1', request_time_epoch: at, ...fields });
      return encodeLogsEvent({
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: 'access-logs',
        logStream: stream,
        subscriptionFilters: ['usage'],
        logEvents: [
          { id: '1', timestamp: atMs, message: line({ api_key_id: 'key-1', status: '200', deny_code: '-' }) },
          { id: '2', timestamp: atMs, message: line({ api_key_id: '-', status: '403', deny_code: 'ip_not_allowed' }) },
          { id: '3', timestamp: atMs, message: line({ api_key_id: 'key-1', status: '429', deny_code: '-' }) },
        ],
      });
    };
    stubs.dynamo.reset();
    stubs.dynamo.onAnyCommand().resolves({});
    return recordCommands(stubs, async () => {
      for (const [stream, at] of [
        ['now', Date.now()],
        ['late', Date.now() - 3 * 3_600_000],
      ] as const) {
        const summary = await handler(logsEvent(stream, at));
        if (summary.counted !== 3) throw new Error(`the aggregator counted ${summary.counted} of 3 lines (${stream})`);
      }
    });
  },

  /**
   * Rolls the one closed hour not marked rolled: its raw tallies (one key's) into the key's hourly
   * and daily counters, then the hour's marker.
   */
  'roll-up-usage': async (_d, fn, stubs) => {
    const { handler } = await load(fn, () => import('../../../lambdas/roll-up-usage'));
    const { hoursIn } = await import('../../../lambdas/domain/usage-rollup');
    stubs.dynamo.reset();
    stubs.dynamo.onAnyCommand().resolves({});
    stubs.dynamo.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
      const values = input.ExpressionAttributeValues;
      if (values[':pk'] === 'USAGEROLLUP') {
        // Every hour asked about is rolled but the last.
        const hours = hoursIn(Date.parse(values[':first']!), Date.parse(values[':last']!));
        return { Items: hours.map((hour) => ({ sk: hour })) };
      }
      return { Items: [{ tally: `${ORGANIZATION}\tkey-1\t2\t1\tip_not_allowed=1` }] };
    });
    return recordCommands(stubs, async () => {
      const summary = await handler();
      if (summary.rolled.length !== 1) throw new Error(`the rollup rolled ${summary.rolled.length} hours, not 1`);
    });
  },

  /** The example backend echoes what the authorizer decided: it has no AWS client. */
  'example-echo': async () => [],
};
