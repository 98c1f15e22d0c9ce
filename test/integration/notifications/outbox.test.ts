import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageRejected, SESClient, SESServiceException, SendEmailCommand } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { createSesClient, SesMailer } from '../../../lambdas/adapters/ses-mailer';
import { ManualClock } from '../../../lambdas/domain/clock';
import type { Mailer } from '../../../lambdas/domain/ports';
import { CLAIM_LEASE_MS, DynamoDbDeliveryLedger } from '../../../lambdas/notifications/dynamodb-delivery-ledger';
import { DynamoDbUndeliveredLog } from '../../../lambdas/notifications/dynamodb-undelivered-log';
import { createNotifier } from '../../../lambdas/notifications/notifier';
import { matchesMailFilter } from '../../../lambdas/notifications/stream-filter';
import { createOperator } from '../../../lambdas/runtime/operator';
import type { ApiKeyService } from '../../../lambdas/service/api-key-service';
import type { OrganizationService } from '../../../lambdas/service/organization-service';
import { deliveryKey } from '../../../lambdas/table/layout';
import { startSesEmulator } from '../../../local/ses-emulator';
import { DEAD_LETTER_FILE, startStreamPoller } from '../../../local/stream-poller';
import { createTestTable } from '../../support/dynamodb';
import { plainSecretBox, RecordingMailer } from '../../support/fakes';
import { freePort } from '../../support/free-port';
import { testServices } from '../../support/services';
import { allStreamRecords } from '../../support/stream-records';

const ADMINS = ['alice@acme.test', 'bob@acme.test'];
const ACTOR = { type: 'user', email: ADMINS[0]! } as const;
const TOKEN_SHAPE = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}/;

describe('admin emails through the outbox (DynamoDB Local stream)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let documentClient: DynamoDBDocumentClient;
  let store: DynamoDbKeyStore;
  let keys: ApiKeyService;
  let organizations: OrganizationService;
  const clock = new ManualClock('2036-11-26T04:00:00.000Z');
  let orgCounter = 0;

  beforeAll(async () => {
    table = await createTestTable();
    documentClient = DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } });
    store = new DynamoDbKeyStore(documentClient, table.tableName);
    ({ keys, organizations } = testServices(store, clock));
  });

  afterAll(async () => {
    await table.drop();
  });

  async function organization(): Promise<string> {
    const id = `org-${++orgCounter}`;
    await organizations.create({ name: `Acme ${orgCounter}`, id, admins: ADMINS });
    await organizations.addMember(id, 'member@acme.test', 'member');
    return id;
  }

  /** Everything the stream holds for `organizationId` that the event-source mapping would deliver. */
  async function mailRecords(organizationId: string): Promise<DynamoDBRecord[]> {
    const records = await allStreamRecords(table.client, table.tableName);
    return records.filter((record) => matchesMailFilter(record) && record.dynamodb?.NewImage?.organization_id?.S === organizationId);
  }

  function notifier(mailer: Mailer, at: ManualClock = clock) {
    return createNotifier({ store, mailer, ledger: new DynamoDbDeliveryLedger(documentClient, table.tableName), clock: at });
  }

  it('notes a failed record by its real stream position, so redrive finds, re-reads and mails its event once', async () => {
    const org = await organization();
    await keys.create(org, ACTOR, { name: 'Noted' });
    const [record] = await mailRecords(org);
    const undelivered = new DynamoDbUndeliveredLog(documentClient, table.tableName);
    const mailer = new RecordingMailer();
    mailer.failures = 1;
    const notify = createNotifier({
      store,
      mailer,
      ledger: new DynamoDbDeliveryLedger(documentClient, table.tableName),
      undelivered,
      clock,
    });

    expect((await notify({ Records: [record!] })).batchItemFailures).toHaveLength(1);

    // What the failure queue's pointer gives: the stream and the batch's sequence range.
    const sequenceNumber = record!.dynamodb!.SequenceNumber!;
    const noted = await undelivered.find(record!.eventSourceARN!, sequenceNumber, sequenceNumber);
    expect(noted.map((entry) => entry.event)).toEqual([{ pk: record!.dynamodb!.Keys!.pk!.S, sk: record!.dynamodb!.Keys!.sk!.S }]);
    expect(await undelivered.find(record!.eventSourceARN!, `${sequenceNumber}1`, `${sequenceNumber}9`)).toEqual([]);

    const operator = createOperator({ tableName: table.tableName, dynamodb: table.clientConfig, secrets: plainSecretBox });
    const redriveEvent = operator.eventRedrive(mailer);
    expect(await redriveEvent(noted[0]!.event)).toBe(true);
    expect(await redriveEvent(noted[0]!.event)).toBe(true);
    operator.close();
    expect(mailer.sent.map((email) => email.subject)).toEqual(['A new API key has been created']);
  });

  it('delivers a committed change exactly once, even when the notifier runs twice after a crash', async () => {
    const org = await organization();
    const created = await keys.create(org, ACTOR, { name: 'Billing sync' });
    // The process "died" here: the change and its event are committed, no email was sent.
    const records = await mailRecords(org);
    expect(records).toHaveLength(2);

    const mailer = new RecordingMailer();
    const first = await notifier(mailer)({ Records: records });
    const second = await notifier(mailer)({ Records: records });

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(mailer.sent.map((email) => email.subject)).toEqual(['A new API key has been created', 'A new API key has been created']);
    const mail = mailer.sent[1]!;
    expect(mail.bcc).toEqual(ADMINS);
    expect(mail.text).toContain(`Billing sync (${created.masked_value})`);
    expect(mail.text).toContain(`By: ${ACTOR.email}`);
    expect(`${mail.subject}${mail.text}${mail.html}`).not.toMatch(TOKEN_SHAPE);
    expect(mail.text).not.toContain(created.value);
  });

  it('sends once eventually when the first send fails and the record is redelivered', async () => {
    const org = await organization();
    const records = await mailRecords(org);
    const mailer = new RecordingMailer();
    mailer.failures = 1;

    const failed = await notifier(mailer)({ Records: records });
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber }]);
    expect(mailer.sent).toHaveLength(0);

    const retried = await notifier(mailer)({ Records: records });
    const again = await notifier(mailer)({ Records: records });

    expect(retried.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(mailer.sent).toHaveLength(1);
  });

  it('retries an event whose sender died mid-send only after the claim lease lapses', async () => {
    const org = await organization();
    const records = await mailRecords(org);
    const eventId = records[0]!.dynamodb!.NewImage!.id!.S!;
    // The crashed sender took the claim and never came back.
    await new DynamoDbDeliveryLedger(documentClient, table.tableName).claim(eventId, clock.now());
    const mailer = new RecordingMailer();

    const during = await notifier(mailer)({ Records: records });
    expect(during.batchItemFailures).toHaveLength(1);
    expect(mailer.sent).toHaveLength(0);

    const later = new ManualClock(new Date(clock.now().getTime() + CLAIM_LEASE_MS + 1));
    const after = await notifier(mailer, later)({ Records: records });
    expect(after.batchItemFailures).toEqual([]);
    expect(mailer.sent).toHaveLength(1);
  });

  it('mails a scheduled rotation with the old key’s deadline, and its retirement with the last use', async () => {
    const org = await organization();
    const [first] = (await store.listKeys(org, { limit: 1 })).items;
    const rotation = await keys.rotate(org, ACTOR, first!.id, { expires_in: '24h' });
    const old = (await store.getKey(org, first!.id))!;
    await store.retireKey(old, keys.event('api_key.retired', old, { type: 'system' }, { expires_at: old.expiresAt, last_used_at: null }));
    const mailer = new RecordingMailer();

    await notifier(mailer)({ Records: await mailRecords(org) });

    const subjects = mailer.sent.map((email) => email.subject);
    expect(subjects).toEqual(['A new API key has been created', 'Your API key has been rolled', 'An API key has been retired']);
    expect(mailer.sent[1]!.text).toContain(`Old key works until: ${rotation.rotated_api_key.expires_at} (UTC)`);
    expect(mailer.sent[1]!.text).toContain(rotation.api_key.masked_value);
    expect(mailer.sent[2]!.text).toContain('Last used: never');
    expect(mailer.sent[2]!.text).toContain('By: keyward (scheduled)');
  });

  describe('an email SES rejects for good (the sandbox; SES mocked, as its emulator accepts every address)', () => {
    const sandboxRejection = () =>
      new MessageRejected({
        message: 'Email address is not verified. The following identities failed the check in region EU-WEST-1: alice@acme.test',
        $metadata: { httpStatusCode: 400 },
      });
    const ledgerItem = async (eventId: string) =>
      (await documentClient.send(new GetCommand({ TableName: table.tableName, Key: deliveryKey(eventId), ConsistentRead: true }))).Item;

    it('is recorded as failed in the ledger and not retried; a redelivery once fixed sends it, and only once', async () => {
      const sesClient = new SESClient({ region: 'eu-west-1' });
      const ses = mockClient(sesClient);
      const mailer = new SesMailer(sesClient, 'keyward@keyward.test', 'keyward-test-notifications');
      const org = await organization();
      const records = await mailRecords(org);
      const eventId = records[0]!.dynamodb!.NewImage!.id!.S!;

      ses.on(SendEmailCommand).rejects(sandboxRejection());
      const rejected = await notifier(mailer)({ Records: records });

      expect(rejected.batchItemFailures).toEqual([]);
      expect(await ledgerItem(eventId)).toMatchObject({
        status: 'failed',
        failure: 'MessageRejected',
        failed_at: clock.now().toISOString(),
      });
      expect(await ledgerItem(eventId)).not.toHaveProperty('claim_token');
      expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.ConfigurationSetName).toBe('keyward-test-notifications');

      ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
      const redriven = await notifier(mailer)({ Records: records });
      const again = await notifier(mailer)({ Records: records });

      expect(redriven.batchItemFailures).toEqual([]);
      expect(again.batchItemFailures).toEqual([]);
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
      expect(await ledgerItem(eventId)).toMatchObject({ status: 'sent' });
      ses.restore();
    });

    it('keeps the recipients reached through a released claim and a failure, for the next claim', async () => {
      const ledger = new DynamoDbDeliveryLedger(documentClient, table.tableName);
      const eventId = `evt-${++orgCounter}`;
      const first = await ledger.claim(eventId, clock.now());
      if (first.status !== 'claimed') throw new Error('expected a claim');
      expect(first.reached).toEqual(new Set());
      await ledger.recordReached(eventId, ['a@acme.test', 'b@acme.test']);
      await ledger.release(eventId, first.token);

      const second = await ledger.claim(eventId, clock.now());
      if (second.status !== 'claimed') throw new Error('expected the released claim to be taken at once');
      expect(second.reached).toEqual(new Set(['a@acme.test', 'b@acme.test']));
      await ledger.recordReached(eventId, ['c@acme.test']);
      await ledger.markFailed(eventId, second.token, clock.now(), 'MessageRejected');

      const third = await ledger.claim(eventId, clock.now());
      expect(third).toMatchObject({ status: 'claimed', reached: new Set(['a@acme.test', 'b@acme.test', 'c@acme.test']) });
    });

    it('records no failure over a delivery another holder finished meanwhile', async () => {
      const ledger = new DynamoDbDeliveryLedger(documentClient, table.tableName);
      const eventId = `evt-${++orgCounter}`;
      const stale = await ledger.claim(eventId, clock.now());
      if (stale.status !== 'claimed') throw new Error('expected a claim');
      const later = new Date(clock.now().getTime() + CLAIM_LEASE_MS + 1);
      const fresh = await ledger.claim(eventId, later);
      expect(fresh.status).toBe('claimed');
      await ledger.markSent(eventId, later);

      await ledger.markFailed(eventId, stale.token, later, 'MessageRejected');

      expect(await ledgerItem(eventId)).toMatchObject({ status: 'sent' });
    });
  });

  describe('an organization with more admins than SES takes in one message (the SES emulator, which refuses over 50 like SES)', () => {
    const ADMIN_COUNT = 120;
    let ses: Awaited<ReturnType<typeof startSesEmulator>>;
    let sesClient: SESClient;

    beforeAll(async () => {
      ses = await startSesEmulator({ port: await freePort() });
    });
    afterAll(async () => {
      await ses.stop();
    });
    beforeEach(() => {
      sesClient = createSesClient(ses.endpoint);
    });
    afterEach(() => sesClient.destroy());

    /** `count` admins (a001@…, a002@…), one member, and the created event's stream record. */
    async function crowdedOrganization(count: number): Promise<{ org: string; admins: string[]; record: DynamoDBRecord }> {
      const org = `crowd-${++orgCounter}`;
      const admins = Array.from({ length: count }, (_, i) => `a${String(i + 1).padStart(3, '0')}@${org}.test`);
      await organizations.create({ name: `Crowd ${orgCounter}`, id: org, admins: admins.slice(0, 1) });
      for (const admin of admins.slice(1)) await organizations.addMember(org, admin, 'admin');
      await organizations.addMember(org, `member@${org}.test`, 'member');
      const [record] = await mailRecords(org);
      return { org, admins, record: record! };
    }

    type Stored = { emails: { subject: string; destination: { to: string[]; cc: string[]; bcc: string[] }; body: { text?: string } }[] };
    async function inbox(org: string): Promise<Stored['emails']> {
      const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as Stored;
      return store.emails.filter((email) => email.body.text?.includes(`(${org})`));
    }

    /** Fails the `nth` SendEmail (1-based) with `error` before it reaches the emulator: a fault it cannot produce. */
    function failNthSend(n: number, error: () => Error): void {
      let calls = 0;
      sesClient.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'SendEmailCommand' && ++calls === n) throw error();
          return next(args);
        },
        { step: 'initialize', name: 'failNthSend' },
      );
    }

    it('sends messages of at most 50 BCC recipients that reach every admin exactly once', async () => {
      const { org, admins, record } = await crowdedOrganization(ADMIN_COUNT);

      const result = await notifier(new SesMailer(sesClient, 'keyward@keyward.test'))({ Records: [record] });

      expect(result.batchItemFailures).toEqual([]);
      const messages = await inbox(org);
      expect(messages.map((email) => email.destination.bcc.length)).toEqual([50, 50, 20]);
      for (const email of messages) expect(email.destination).toMatchObject({ to: [], cc: [] });
      expect(messages.flatMap((email) => email.destination.bcc).sort()).toEqual(admins);
    });

    it('resends on a retry only the messages that did not go out', async () => {
      const { org, admins, record } = await crowdedOrganization(ADMIN_COUNT);
      failNthSend(
        2,
        () => new SESServiceException({ name: 'Throttling', $fault: 'client', message: 'Maximum sending rate exceeded.', $metadata: {} }),
      );
      const notify = notifier(new SesMailer(sesClient, 'keyward@keyward.test'));

      const failed = await notify({ Records: [record] });
      expect(failed.batchItemFailures).toHaveLength(1);
      expect((await inbox(org)).map((email) => email.destination.bcc.length)).toEqual([50]);

      const retried = await notify({ Records: [record] });
      const again = await notify({ Records: [record] });

      expect(retried.batchItemFailures).toEqual([]);
      expect(again.batchItemFailures).toEqual([]);
      const received = (await inbox(org)).flatMap((email) => email.destination.bcc);
      expect(received.sort()).toEqual(admins);
    });

    it('still sends the other messages when SES rejects one for good, and a redrive sends only that one', async () => {
      const { org, admins, record } = await crowdedOrganization(ADMIN_COUNT);
      const eventId = record.dynamodb!.NewImage!.id!.S!;
      failNthSend(2, () => new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } }));
      const notify = notifier(new SesMailer(sesClient, 'keyward@keyward.test'));

      const rejected = await notify({ Records: [record] });

      expect(rejected.batchItemFailures).toEqual([]);
      expect((await inbox(org)).map((email) => email.destination.bcc.length)).toEqual([50, 20]);
      expect(
        (await documentClient.send(new GetCommand({ TableName: table.tableName, Key: deliveryKey(eventId), ConsistentRead: true }))).Item,
      ).toMatchObject({ status: 'failed', failure: 'MessageRejected' });

      const operator = createOperator({ tableName: table.tableName, dynamodb: table.clientConfig, secrets: plainSecretBox });
      const redrive = operator.eventRedrive(new SesMailer(sesClient, 'keyward@keyward.test'));
      expect(await redrive({ pk: record.dynamodb!.Keys!.pk!.S!, sk: record.dynamodb!.Keys!.sk!.S! })).toBe(true);
      operator.close();

      const messages = await inbox(org);
      expect(messages.map((email) => email.destination.bcc.length)).toEqual([50, 20, 50]);
      expect(messages.flatMap((email) => email.destination.bcc).sort()).toEqual(admins);
    });
  });

  describe('local stream poller', () => {
    let stateDir: string;

    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'keyward-poller-'));
    });
    afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

    function poll(handler: (event: DynamoDBStreamEvent) => ReturnType<ReturnType<typeof createNotifier>>) {
      return startStreamPoller({
        endpoint: process.env.DYNAMODB_ENDPOINT!,
        tableName: table.tableName,
        handler,
        stateDir,
        log: () => undefined,
        intervalMs: 25,
        retryBaseMs: 10,
        maxAttempts: 3,
      });
    }

    it('feeds new events to the notifier and, after a restart, resumes after its checkpoint', async () => {
      const mailer = new RecordingMailer();
      const seen: string[] = [];
      const notify = notifier(mailer);
      const handler = async (event: DynamoDBStreamEvent) => {
        seen.push(...event.Records.map((record) => record.dynamodb!.SequenceNumber!));
        return notify(event);
      };
      let poller = poll(handler);
      const org = await organization();
      await waitFor(() => mailer.sent.some((email) => email.text.includes(`(${org})`)));
      await poller.stop();
      const seenBeforeRestart = seen.length;

      poller = poll(handler);
      const created = await keys.create(org, ACTOR, { name: 'After restart' });
      await waitFor(() => mailer.sent.some((email) => email.text.includes(created.masked_value)));
      await poller.stop();

      // Nothing before the checkpoint was handed to the handler again.
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThan(seenBeforeRestart);
    });

    it('retries a failing record, then writes it to the dead-letter file and moves on', async () => {
      const org = await organization();
      const [record] = await mailRecords(org);
      const failing = async (event: DynamoDBStreamEvent) => ({
        batchItemFailures: event.Records.filter((r) => r.dynamodb?.SequenceNumber === record!.dynamodb!.SequenceNumber).map((r) => ({
          itemIdentifier: r.dynamodb!.SequenceNumber!,
        })),
      });
      const poller = poll(failing);
      try {
        await waitFor(() => existsSync(join(stateDir, DEAD_LETTER_FILE)));
      } finally {
        await poller.stop();
      }
      const lines = readFileSync(join(stateDir, DEAD_LETTER_FILE), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!).record.dynamodb.SequenceNumber).toBe(record!.dynamodb!.SequenceNumber);
    });

    it('delivers through the SES emulator with the admins in BCC, not To or Cc', async () => {
      const port = await freePort();
      const ses = await startSesEmulator({ port });
      const sesClient = createSesClient(ses.endpoint);
      const poller = poll(notifier(new SesMailer(sesClient, 'keyward@keyward.test')));
      try {
        const org = await organization();
        type Stored = { emails: { subject: string; destination: { bcc: string[] }; body: { text?: string } }[] };
        let mine: Stored['emails'] = [];
        await waitFor(async () => {
          const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as Stored;
          mine = store.emails.filter((email) => email.body.text?.includes(`(${org})`));
          return mine.length > 0;
        });
        expect(mine).toHaveLength(1);
        expect(mine[0]!.subject).toBe('A new API key has been created');
        expect(mine[0]!.destination.bcc).toEqual(ADMINS);
        expect(mine[0]!.destination).toMatchObject({ to: [], cc: [] });
      } finally {
        await poller.stop();
        sesClient.destroy();
        await ses.stop();
      }
    });
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
