import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { AccountSendingPausedException, MessageRejected, SESClient, SESServiceException, SendEmailCommand } from '@aws-sdk/client-ses';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer';
import type { AuditEventType } from '../../../lambdas/domain/audit-event';
import { ManualClock } from '../../../lambdas/domain/clock';
import type { Member, Organization } from '../../../lambdas/domain/ports';
import type { ClaimResult, DeliveryLedger } from '../../../lambdas/notifications/delivery-ledger';
import { createNotifier } from '../../../lambdas/notifications/notifier';
import type { UndeliveredLog, UndeliveredRecord } from '../../../lambdas/notifications/undelivered-log';
import { logger } from '../../../lambdas/observability/logger';
import { FUNCTION_DIMENSION, METRICS_NAMESPACE, NOTIFIER_METRICS, SERVICE_NAME } from '../../../lambdas/observability/metric-names';
import { createMetrics } from '../../../lambdas/observability/metrics';
import { notifierMetrics } from '../../../lambdas/observability/notifier-metrics';
import { captureEmf, dataPoints } from '../../support/emf';

const ses = mockClient(SESClient);

/** The ledger's rules, in memory (the DynamoDB one is tested against DynamoDB Local). */
class MemoryLedger implements DeliveryLedger {
  readonly entries = new Map<string, { status: 'pending' | 'released' | 'sent' | 'failed'; token?: string; reason?: string }>();
  readonly reached = new Map<string, Set<string>>();

  async claim(eventId: string): Promise<ClaimResult> {
    const entry = this.entries.get(eventId);
    if (entry?.status === 'sent') return { status: 'sent' };
    if (entry?.status === 'pending') return { status: 'in_progress' };
    const token = `t-${eventId}`;
    this.entries.set(eventId, { status: 'pending', token });
    return { status: 'claimed', token, reached: new Set(this.reached.get(eventId)) };
  }

  async recordReached(eventId: string, recipients: readonly string[]): Promise<void> {
    this.reached.set(eventId, new Set([...(this.reached.get(eventId) ?? []), ...recipients]));
  }

  async markSent(eventId: string): Promise<void> {
    this.entries.set(eventId, { status: 'sent' });
  }

  async release(eventId: string, token: string): Promise<void> {
    if (this.entries.get(eventId)?.token === token) this.entries.set(eventId, { status: 'released' });
  }

  async markFailed(eventId: string, token: string, _now: Date, reason: string): Promise<void> {
    if (this.entries.get(eventId)?.token === token) this.entries.set(eventId, { status: 'failed', reason });
  }
}

const ORGANIZATION: Organization = { id: 'acme', name: 'Acme', createdAt: '2026-11-01T00:00:00.000Z' };
const MEMBERS: Member[] = [
  { organizationId: 'acme', email: 'a@acme.test', role: 'admin' },
  { organizationId: 'acme', email: 'm@acme.test', role: 'member' },
  { organizationId: 'acme', email: 'b@acme.test', role: 'admin' },
];

function record(id: string, type: AuditEventType, sequenceNumber: string): DynamoDBRecord {
  const item = {
    pk: 'ORG#acme',
    sk: `EVENT#${id}`,
    entity: 'audit_event',
    id,
    organization_id: 'acme',
    type,
    occurred_at: '2026-11-26T04:00:00.000Z',
    actor: { type: 'user', email: 'a@acme.test' },
    api_key_id: 'key-1',
    details: { name: 'Billing', masked_value: 'kw_••••••••9fQz' },
  };
  return {
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: { SequenceNumber: sequenceNumber, NewImage: marshall(item) as Record<string, AttributeValue> },
  };
}

class MemoryUndeliveredLog implements UndeliveredLog {
  readonly noted: UndeliveredRecord[] = [];

  async note(records: UndeliveredRecord[]): Promise<void> {
    this.noted.push(...records);
  }

  async find(): Promise<UndeliveredRecord[]> {
    return this.noted;
  }
}

function setup(members: Member[] = MEMBERS) {
  const ledger = new MemoryLedger();
  const undelivered = new MemoryUndeliveredLog();
  const rejections: string[] = [];
  const notify = createNotifier({
    store: { getOrganization: async () => ORGANIZATION, listMembers: async () => members },
    mailer: new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test'),
    ledger,
    undelivered,
    clock: new ManualClock(),
    metrics: { emailRejected: () => rejections.push('rejected') },
  });
  return { ledger, notify, undelivered, rejections };
}

/** What the notifier logs, by level, as text. */
function captureLogs(): { error: string; all: () => string } {
  const lines: Record<string, string[]> = { debug: [], info: [], warn: [], error: [] };
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      lines[level]!.push(JSON.stringify(args));
    });
  }
  return {
    get error() {
      return lines.error!.join('\n');
    },
    all: () => Object.values(lines).flat().join('\n'),
  };
}

const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/keyward-prod/stream/2026-11-01T00:00:00.000';
const fromStream = (r: DynamoDBRecord): DynamoDBRecord => ({ ...r, eventSourceARN: STREAM_ARN });

describe('notifier', () => {
  beforeEach(() => ses.reset());
  afterEach(() => jest.restoreAllMocks());

  it('mails every admin, and only admins, in BCC', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { notify } = setup();

    const result = await notify({ Records: [record('e1', 'api_key.created', '100')] });

    expect(result.batchItemFailures).toEqual([]);
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.Destination).toEqual({ BccAddresses: ['a@acme.test', 'b@acme.test'] });
    expect(input.Message?.Subject?.Data).toBe('A new API key has been created');
  });

  it('sends nothing twice when the same record is delivered again', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { notify } = setup();
    const records = [record('e1', 'api_key.deleted', '100')];

    await notify({ Records: records });
    await notify({ Records: records });

    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('reports a failed send in batchItemFailures, leaves it unsent, and sends it on the retry', async () => {
    ses
      .on(SendEmailCommand)
      .rejectsOnce(new AccountSendingPausedException({ message: 'Email sending is disabled', $metadata: {} }))
      .resolves({ MessageId: 'm' });
    const { notify, ledger } = setup();
    const records = [record('e1', 'api_key.created', '100'), record('e2', 'api_key.deleted', '101')];

    const first = await notify({ Records: records });

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
    expect(ledger.entries.get('e1')).toEqual({ status: 'released' });
    expect(ledger.entries.get('e2')).toBeUndefined();

    const retry = await notify({ Records: records });

    expect(retry.batchItemFailures).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3);
    expect(ledger.entries.get('e1')?.status).toBe('sent');
    expect(ledger.entries.get('e2')?.status).toBe('sent');
  });

  it('notes the failed record and every mailed record after it, with their audit event keys, for redrive', async () => {
    ses.on(SendEmailCommand).resolvesOnce({ MessageId: 'm' }).rejects(new Error('SES is down'));
    const { notify, undelivered } = setup();
    const records = [
      record('e1', 'api_key.created', '100'),
      record('e2', 'api_key.deleted', '101'),
      record('e3', 'api_key.revealed', '102'),
      record('e4', 'api_key.rotated', '103'),
    ].map(fromStream);

    const result = await notify({ Records: records });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(undelivered.noted).toEqual([
      { streamArn: STREAM_ARN, sequenceNumber: '101', event: { pk: 'ORG#acme', sk: 'EVENT#e2' } },
      { streamArn: STREAM_ARN, sequenceNumber: '103', event: { pk: 'ORG#acme', sk: 'EVENT#e4' } },
    ]);
  });

  it('notes nothing when the batch is delivered', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { notify, undelivered } = setup();

    await notify({ Records: [record('e1', 'api_key.created', '100')].map(fromStream) });

    expect(undelivered.noted).toEqual([]);
  });

  it('mails an operator change, naming the platform team and not their AWS identity', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
    const { notify } = setup();
    const operatorRecord = record('e1', 'api_key.deleted', '100');
    const image = unmarshall(operatorRecord.dynamodb!.NewImage as Record<string, SdkAttributeValue>);
    image.actor = { type: 'operator', principal: 'arn:aws:iam::111122223333:role/platform' };
    operatorRecord.dynamodb!.NewImage = marshall(image) as Record<string, AttributeValue>;

    expect((await notify({ Records: [operatorRecord] })).batchItemFailures).toEqual([]);
    const text = ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Message?.Body?.Text?.Data ?? '';
    expect(text).toContain('keyward operator');
    expect(text).not.toContain('111122223333');
  });

  it('mails nothing for event types that do not mail, even if the filter let them through', async () => {
    const { notify } = setup();

    const result = await notify({ Records: [record('e1', 'api_key.revealed', '100'), record('e2', 'api_key.updated', '101')] });

    expect(result.batchItemFailures).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('sends nothing, and does not fail, when the organization has no admin', async () => {
    const { notify, ledger } = setup([{ organizationId: 'acme', email: 'm@acme.test', role: 'member' }]);

    const result = await notify({ Records: [record('e1', 'api_key.created', '100')] });

    expect(result.batchItemFailures).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(ledger.entries.get('e1')?.status).toBe('sent');
  });

  it('reports a record whose delivery is still claimed elsewhere, instead of skipping it', async () => {
    const { notify, ledger } = setup();
    ledger.entries.set('e1', { status: 'pending', token: 'someone-else' });

    const result = await notify({ Records: [record('e1', 'api_key.created', '100')] });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  describe('an email SES refuses for good (the sandbox: a recipient that is not verified)', () => {
    const sandboxRejection = () =>
      new MessageRejected({
        message: 'Email address is not verified. The following identities failed the check in region EU-WEST-1: a@acme.test',
        $metadata: { httpStatusCode: 400 },
      });

    it('records the event as failed, logs it at ERROR with the event id, counts it, and moves on without a retry', async () => {
      ses.on(SendEmailCommand).rejectsOnce(sandboxRejection()).resolves({ MessageId: 'm' });
      const logs = captureLogs();
      const { notify, ledger, rejections } = setup();

      const result = await notify({ Records: [record('e1', 'api_key.created', '100'), record('e2', 'api_key.deleted', '101')] });

      expect(result.batchItemFailures).toEqual([]);
      expect(ledger.entries.get('e1')).toEqual({ status: 'failed', reason: 'MessageRejected' });
      expect(ledger.entries.get('e2')?.status).toBe('sent');
      expect(rejections).toEqual(['rejected']);
      expect(logs.error).toContain('admin email rejected by the mail service; not retried');
      expect(logs.error).toContain('"event_id":"e1"');
      expect(logs.error).toContain('"error_code":"MessageRejected"');
      expect(logs.all()).not.toMatch(/kw_[0-9A-Za-z]{36}/);
    });

    it('sends a failed event again when it is delivered again (e.g. redriven once the recipient is verified)', async () => {
      ses.on(SendEmailCommand).rejectsOnce(sandboxRejection()).resolves({ MessageId: 'm' });
      captureLogs();
      const { notify, ledger } = setup();
      const records = [record('e1', 'api_key.created', '100')];

      await notify({ Records: records });
      const again = await notify({ Records: records });

      expect(again.batchItemFailures).toEqual([]);
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
      expect(ledger.entries.get('e1')?.status).toBe('sent');
    });

    it('still retries a transient failure such as throttling, and counts no rejection', async () => {
      ses
        .on(SendEmailCommand)
        .rejects(
          new SESServiceException({ name: 'Throttling', $fault: 'client', message: 'Maximum sending rate exceeded.', $metadata: {} }),
        );
      captureLogs();
      const { notify, ledger, rejections } = setup();

      const result = await notify({ Records: [record('e1', 'api_key.created', '100')] });

      expect(result.batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
      expect(ledger.entries.get('e1')).toEqual({ status: 'released' });
      expect(rejections).toEqual([]);
    });
  });
});

describe('notifier metrics', () => {
  afterEach(() => jest.restoreAllMocks());

  it('publishes EmailsRejected as one EMF count over the service and the function', () => {
    const emf = captureEmf();

    notifierMetrics(createMetrics({ AWS_LAMBDA_FUNCTION_NAME: 'keyward-unit-notify-admins' })).emailRejected();

    expect(dataPoints(emf)).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        metric: NOTIFIER_METRICS.emailsRejected,
        unit: 'Count',
        value: 1,
        dimensions: { service: SERVICE_NAME, [FUNCTION_DIMENSION]: 'keyward-unit-notify-admins' },
      },
    ]);
  });
});
