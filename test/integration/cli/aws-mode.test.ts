import { GetUsageCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../bin/cli';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { ManualClock } from '../../../lambdas/domain/clock';
import { DynamoDbUndeliveredLog } from '../../../lambdas/notifications/dynamodb-undelivered-log';
import { documentClient } from '../../../lambdas/runtime/clients';
import { STACK_OUTPUT } from '../../../lambdas/runtime/stack-outputs';
import { createRemindHandler, createRetireHandler } from '../../../lambdas/service/job-handlers';
import { auditEventKey } from '../../../lambdas/table/layout';
import { LOCAL_AWS } from '../../../local/dynamodb-local';
import { type SesEmulator, startSesEmulator } from '../../../local/ses-emulator';
import { fakeApiGateway } from '../../support/api-gateway-fake';
import { createTestTable } from '../../support/dynamodb';
import { freePort } from '../../support/free-port';

/**
 * `keyward --stack` (API.md §4) in process, against stand-ins of what has no local engine
 * (CloudFormation outputs, STS, SQS, KMS, EventBridge Scheduler, Lambda: aws-sdk-client-mock) and the real
 * engines for the rest: DynamoDB Local for the table and the SES emulator for the mail, reached
 * through the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` settings, as an operator would.
 */
const cloudFormation = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
const sqs = mockClient(SQSClient);
const kms = mockClient(KMSClient);
const scheduler = mockClient(SchedulerClient);
const lambda = mockClient(LambdaClient);

const STACK = 'keyward-prod';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/platform-oncall/jane';
const STREAM_ARN = 'arn:aws:dynamodb:eu-west-1:111122223333:table/keyward-prod/stream/2036-01-01T00:00:00.000';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/keyward-prod-notifier-failures';
const JOB_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/keyward-prod-job-failures';
const SCHEDULER_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/keyward-prod-retirement-dlq';
const RETIRE_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:keyward-prod-retire-api-key';
const REMIND_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:keyward-prod-remind-api-key-expiry';

let table: Awaited<ReturnType<typeof createTestTable>>;
let ses: SesEmulator;
const savedEnv = { ...process.env };

async function keyward(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    env: { KEYWARD_STACK: STACK, ...env },
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

async function json(args: string[]) {
  const reply = await keyward([...args, '--json']);
  if (reply.code !== 0) throw new Error(`keyward ${args.join(' ')} exited ${reply.code}: ${reply.stderr}`);
  return JSON.parse(reply.stdout);
}

function stackOutputs(overrides: Record<string, string> = {}) {
  const outputs: Record<string, string> = {
    [STACK_OUTPUT.tableName]: table.tableName,
    [STACK_OUTPUT.tokenKeyArn]: 'arn:aws:kms:eu-west-1:111122223333:key/token',
    [STACK_OUTPUT.keyPrefix]: 'acme',
    [STACK_OUTPUT.resourceCatalog]: '["customer","invoice"]',
    [STACK_OUTPUT.notifierFailureQueueUrl]: QUEUE_URL,
    [STACK_OUTPUT.senderAddress]: 'keys@acme.test',
    [STACK_OUTPUT.scheduleGroupName]: 'keyward-prod-retirements',
    [STACK_OUTPUT.retireFunctionArn]: RETIRE_ARN,
    [STACK_OUTPUT.remindFunctionArn]: REMIND_ARN,
    [STACK_OUTPUT.schedulerRoleArn]: 'arn:aws:iam::111122223333:role/keyward-prod-scheduler',
    [STACK_OUTPUT.schedulerDlqArn]: 'arn:aws:sqs:eu-west-1:111122223333:keyward-prod-retirement-dlq',
    [STACK_OUTPUT.jobFailureQueueUrl]: JOB_QUEUE_URL,
    [STACK_OUTPUT.schedulerDlqUrl]: SCHEDULER_DLQ_URL,
    ...overrides,
  };
  return {
    Stacks: [
      {
        StackName: STACK,
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE' as const,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

async function mailTo(address: string): Promise<{ subject: string }[]> {
  const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as { emails: { subject: string; destination: { bcc: string[] } }[] };
  return store.emails.filter((email) => email.destination.bcc.includes(address));
}

async function auditEvents(organizationId: string) {
  return (await new DynamoDbKeyStore(documentClient(table.clientConfig), table.tableName).listAuditEvents(organizationId, { limit: 100 }))
    .items;
}

beforeAll(async () => {
  table = await createTestTable();
  ses = await startSesEmulator({ port: await freePort() });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: table.clientConfig.endpoint as string,
    AWS_ENDPOINT_URL_SES: ses.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await ses.stop();
  await table.drop();
});

beforeEach(() => {
  for (const mock of [cloudFormation, sts, sqs, kms, scheduler, lambda]) mock.reset();
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves(stackOutputs());
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '111122223333', UserId: 'AROA:jane' });
  kms.on(EncryptCommand).callsFake((input: { Plaintext: Uint8Array }) => ({ CiphertextBlob: Buffer.from(input.Plaintext).reverse() }));
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/x/y' });
});

describe('keyward --stack', () => {
  it("mints keys with the stack's prefix and catalog, under its token key, audited as the operator's AWS identity", async () => {
    const created = await json(['org', 'create', '--name', 'Acme', '--id', 'acme-aws', '--admin', 'ops@acme.test']);

    expect(created.api_key.value).toMatch(/^acme_[0-9A-Za-z]{36}$/);
    expect(created.api_key.permissions).toEqual({ customer: ['read', 'write'], invoice: ['read', 'write'] });
    expect(kms.commandCalls(EncryptCommand)[0]!.args[0].input).toMatchObject({
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/token',
      EncryptionContext: { organization_id: 'acme-aws', api_key_id: created.api_key.id },
    });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: STACK });
    const [event] = await auditEvents('acme-aws');
    expect(event).toMatchObject({ type: 'api_key.created', actor: { type: 'operator', principal: CALLER } });
    expect(JSON.stringify(event)).not.toContain(created.api_key.value);
  });

  it('refuses, with exit 2 and nothing written, an environment that contradicts the stack', async () => {
    for (const env of [{ KEY_PREFIX: 'kw' }, { RESOURCE_CATALOG: 'customer' }, { KEYWARD_TABLE: 'other' }]) {
      const reply = await keyward(['org', 'create', '--name', 'Nope', '--id', 'nope', '--admin', 'a@nope.test'], env);
      expect(reply).toMatchObject({ code: 2, stdout: '' });
      expect(reply.stderr).toMatch(/the stack's outputs are the settings; unset (KEY_PREFIX|RESOURCE_CATALOG|KEYWARD_TABLE)/);
    }
    expect(await auditEvents('nope')).toEqual([]);
    expect((await keyward(['org', 'list'], { KEY_PREFIX: 'acme' })).code).toBe(0);
  });

  it('fails with exit 1, naming what is missing, on a stack deployed without the CLI outputs', async () => {
    const { Stacks } = stackOutputs();
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ ...Stacks[0]!, Outputs: Stacks[0]!.Outputs.filter((o) => o.OutputKey !== 'KeyPrefix') }] });

    const reply = await keyward(['org', 'list']);

    expect(reply.code).toBe(1);
    expect(reply.stderr).toMatch(/lacks the outputs .*KeyPrefix/);
  });

  it('needs the failure queue outputs only for the redrives that read them', async () => {
    const { Stacks } = stackOutputs();
    const queues: string[] = [STACK_OUTPUT.notifierFailureQueueUrl, STACK_OUTPUT.jobFailureQueueUrl, STACK_OUTPUT.schedulerDlqUrl];
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ ...Stacks[0]!, Outputs: Stacks[0]!.Outputs.filter((o) => !queues.includes(o.OutputKey)) }] });

    expect(await keyward(['org', 'list'])).toMatchObject({ code: 0, stderr: '' });
    expect(await keyward(['org', 'create', '--name', 'Lazy', '--id', 'lazy-queues', '--admin', 'ops@lazy.test'])).toMatchObject({
      code: 0,
      stderr: '',
    });

    const jobs = await keyward(['jobs', 'redrive']);
    expect(jobs.code).toBe(1);
    expect(jobs.stderr).toMatch(/keyward jobs redrive.*JobFailureQueueUrl.*RetirementDlqUrl.*deploy it/);
    const notifications = await keyward(['notifications', 'redrive']);
    expect(notifications.code).toBe(1);
    expect(notifications.stderr).toMatch(/keyward notifications redrive.*NotifierFailureQueueUrl.*deploy it/);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('lists organizations with their counts, shows one, and lists its keys masked with their expiry', async () => {
    await json(['org', 'create', '--name', 'Globex', '--id', 'globex-aws', '--admin', 'a@globex.test', '--admin', 'b@globex.test']);
    await json(['org', 'add-member', '--org', 'globex-aws', '--email', 'm@globex.test']);

    const { organizations } = await json(['org', 'list']);
    expect(organizations).toContainEqual({ id: 'globex-aws', name: 'Globex', admins: 2, members: 3, api_keys: 1 });

    const shown = await json(['org', 'show', '--org', 'globex-aws']);
    expect(shown.organization).toEqual({ id: 'globex-aws', name: 'Globex' });
    expect(shown.members).toEqual(
      expect.arrayContaining([
        { email: 'a@globex.test', role: 'admin' },
        { email: 'b@globex.test', role: 'admin' },
        { email: 'm@globex.test', role: 'member' },
      ]),
    );
    expect(shown.api_keys).toHaveLength(1);
    expect(shown.api_keys[0]).not.toHaveProperty('value');

    const [first] = shown.api_keys;
    const rotated = await json(['keys', 'rotate', '--org', 'globex-aws', '--key', first.id, '--expires-in', '1h']);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toMatchObject({ GroupName: 'keyward-prod-retirements' });

    const { api_keys: keys } = await json(['keys', 'list', '--org', 'globex-aws']);
    expect(keys.map((key: { id: string }) => key.id)).toEqual([first.id, rotated.api_key.id]);
    expect(keys[0]).toMatchObject({ masked_value: expect.stringMatching(/^acme_•{8}/), expires_at: rotated.rotated_api_key.expires_at });
    expect(keys[1]).toMatchObject({ expires_at: null });
    expect(JSON.stringify(keys)).not.toMatch(/acme_[0-9A-Za-z]{36}/);

    const text = await keyward(['keys', 'list', '--org', 'globex-aws']);
    expect(text.stdout).toMatch(/^ID +Name +Key +Allowed IPs +Created +Expires +Last used$/m);
    expect(text.stdout).toContain(rotated.rotated_api_key.expires_at);
  });

  it('rotates at once and deletes, with the API rules and the operator as actor', async () => {
    const created = await json(['org', 'create', '--name', 'Initech', '--id', 'initech-aws', '--admin', 'a@initech.test']);

    const rotated = await json(['keys', 'rotate', '--org', 'initech-aws', '--key', created.api_key.id]);
    expect(rotated.api_key).toMatchObject({ organization_id: 'initech-aws', value: expect.stringMatching(/^acme_/), expires_at: null });
    expect(rotated.api_key).not.toHaveProperty('version');
    expect(rotated.rotated_api_key).toMatchObject({ id: created.api_key.id, expires_at: expect.any(String) });

    const lastKey = await keyward(['keys', 'delete', '--org', 'initech-aws', '--key', rotated.api_key.id, '--json']);
    expect(lastKey).toMatchObject({ code: 1, stdout: '' });
    expect(lastKey.stderr).toContain('last_non_expiring_api_key');

    const unknown = await keyward(['keys', 'delete', '--org', 'initech-aws', '--key', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('api_key_not_found');

    const events = await auditEvents('initech-aws');
    expect(events.map((event) => [event.type, event.actor])).toEqual([
      ['api_key.rotated', { type: 'operator', principal: CALLER }],
      ['api_key.created', { type: 'operator', principal: CALLER }],
    ]);
  });

  it('redrives a failed batch from the queue pointer: one email, the message deleted, and never a second email', async () => {
    const created = await json(['org', 'create', '--name', 'Umbrella', '--id', 'umbrella-aws', '--admin', 'boss@umbrella.test']);
    const [event] = await auditEvents('umbrella-aws');
    // What the notifier noted when its delivery of that stream record failed.
    await new DynamoDbUndeliveredLog(documentClient(table.clientConfig), table.tableName).note(
      [{ streamArn: STREAM_ARN, sequenceNumber: '4421584500000000017450439091', event: auditEventKey('umbrella-aws', event!.id) }],
      new Date(),
    );
    // The on-failure record Lambda writes to the queue for that batch: a pointer, not the record.
    const message = {
      MessageId: 'm-1',
      ReceiptHandle: 'handle-1',
      Body: JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
        version: '1.0',
        DDBStreamBatchInfo: {
          shardId: 'shardId-00000001',
          startSequenceNumber: '4421584500000000017450439091',
          endSequenceNumber: '4421584500000000017450439091',
          approximateArrivalOfFirstRecord: '2036-01-01T00:00:00Z',
          approximateArrivalOfLastRecord: '2036-01-01T00:00:00Z',
          batchSize: 1,
          streamArn: STREAM_ARN,
        },
      }),
    };
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message] })
      .resolves({ Messages: [] });

    expect(await json(['notifications', 'redrive'])).toEqual({ redriven: 1, failed: 0 });
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: 'handle-1' },
    ]);
    const mail = await mailTo('boss@umbrella.test');
    expect(mail.map((email) => email.subject)).toEqual(['A new API key has been created']);
    expect(JSON.stringify(mail)).not.toContain(created.api_key.value);

    // The same pointer again (a message redelivered before its deletion landed): delivered already, nothing sent.
    sqs.reset();
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ...message, ReceiptHandle: 'handle-2' }] })
      .resolves({ Messages: [] });
    expect(await json(['notifications', 'redrive'])).toEqual({ redriven: 1, failed: 0 });
    expect(await mailTo('boss@umbrella.test')).toHaveLength(1);

    sqs.reset();
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    expect(await json(['notifications', 'redrive'])).toEqual({ redriven: 0, failed: 0 });
    expect(await mailTo('boss@umbrella.test')).toHaveLength(1);
  });

  it('leaves a message it cannot fully redrive in the queue and exits 1', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            ReceiptHandle: 'handle-unseen',
            Body: JSON.stringify({
              DDBStreamBatchInfo: { streamArn: STREAM_ARN, startSequenceNumber: '900', endSequenceNumber: '901', batchSize: 2 },
            }),
          },
        ],
      })
      .resolves({ Messages: [] });

    const reply = await keyward(['notifications', 'redrive', '--json']);

    expect(reply.code).toBe(1);
    expect(JSON.parse(reply.stdout)).toEqual({ redriven: 0, failed: 2 });
    expect(reply.stderr).toMatch(/never noted by the notifier/);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]!.args[0].input).toMatchObject({
      ReceiptHandle: 'handle-unseen',
      VisibilityTimeout: 0,
    });
  });

  describe('jobs redrive', () => {
    /** Stands in for the deployed retire and remind functions: their real handlers on the table, at the jobs' clock. */
    function deployedFunctions(clock: ManualClock, fail?: string) {
      const store = new DynamoDbKeyStore(documentClient(table.clientConfig), table.tableName);
      const handlers: Record<string, (event: unknown) => Promise<unknown>> = {
        [RETIRE_ARN]: createRetireHandler({ store, clock }),
        [REMIND_ARN]: createRemindHandler({ store, clock }),
      };
      lambda.on(InvokeCommand).callsFake(async (input: InvokeCommandInput) => {
        const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
        try {
          if (fail) throw new Error(fail);
          const outcome = await handlers[input.FunctionName!]!(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)));
          return { StatusCode: 200, Payload: encode(outcome) };
        } catch (error) {
          return {
            StatusCode: 200,
            FunctionError: 'Unhandled',
            Payload: encode({ errorType: 'Error', errorMessage: (error as Error).message }),
          };
        }
      });
    }

    /** A key rotated by the operator with a grace period: its retirement job, and a reminder job of the same key. */
    async function rotatedKey(organizationId: string) {
      const created = await json([
        'org',
        'create',
        '--name',
        organizationId,
        '--id',
        organizationId,
        '--admin',
        `ops@${organizationId}.test`,
      ]);
      const rotated = await json(['keys', 'rotate', '--org', organizationId, '--key', created.api_key.id, '--expires-in', '1h']);
      const expiresAt: string = rotated.rotated_api_key.expires_at;
      const retirement = { organization_id: organizationId, api_key_id: created.api_key.id, expires_at: expiresAt };
      const reminder = { ...retirement, mark_days: 1, remind_at: new Date(Date.parse(expiresAt) - 86_400_000).toISOString() };
      return { keyId: created.api_key.id, expiresAt, retirement, reminder };
    }

    it("re-invokes each parked job's function with its original payload and deletes each message only once it succeeded", async () => {
      const { keyId, expiresAt, retirement, reminder } = await rotatedKey('hooli-aws');
      deployedFunctions(new ManualClock(expiresAt));
      // Lambda's on-failure record wraps the event the schedule sent; Scheduler's DLQ holds that event itself.
      const onFailure = {
        version: '1.0',
        timestamp: '2036-01-01T00:00:00.000Z',
        requestContext: {
          requestId: 'r-1',
          functionArn: `${RETIRE_ARN}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: retirement,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'Error', errorMessage: 'Task timed out after 70.00 seconds' },
      };
      sqs
        .on(ReceiveMessageCommand, { QueueUrl: JOB_QUEUE_URL })
        .resolvesOnce({ Messages: [{ ReceiptHandle: 'job-1', Body: JSON.stringify(onFailure) }] })
        .resolves({ Messages: [] });
      sqs
        .on(ReceiveMessageCommand, { QueueUrl: SCHEDULER_DLQ_URL })
        .resolvesOnce({ Messages: [{ ReceiptHandle: 'dlq-1', Body: JSON.stringify(reminder) }] })
        .resolves({ Messages: [] });

      expect(await json(['jobs', 'redrive'])).toEqual({ redriven: 2, failed: 0 });

      expect(
        lambda
          .commandCalls(InvokeCommand)
          .map(({ args: [{ input }] }) => [
            input.FunctionName,
            input.InvocationType,
            JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)),
          ]),
      ).toEqual([
        [RETIRE_ARN, 'RequestResponse', retirement],
        [REMIND_ARN, 'RequestResponse', reminder],
      ]);
      expect((await auditEvents('hooli-aws')).map((event) => event.type)).toEqual([
        'api_key.retired',
        'api_key.rotated',
        'api_key.created',
      ]);
      expect(await new DynamoDbKeyStore(documentClient(table.clientConfig), table.tableName).getKey('hooli-aws', keyId)).toBeUndefined();
      expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
        { QueueUrl: JOB_QUEUE_URL, ReceiptHandle: 'job-1' },
        { QueueUrl: SCHEDULER_DLQ_URL, ReceiptHandle: 'dlq-1' },
      ]);
      expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
    });

    it('leaves a job that fails again, and a message that holds no job, in their queue, and exits 1', async () => {
      const { keyId, expiresAt, retirement } = await rotatedKey('pied-piper-aws');
      deployedFunctions(new ManualClock(expiresAt), 'ProvisionedThroughputExceededException');
      sqs
        .on(ReceiveMessageCommand, { QueueUrl: JOB_QUEUE_URL })
        .resolvesOnce({
          Messages: [
            { ReceiptHandle: 'job-1', Body: JSON.stringify({ requestPayload: retirement }) },
            { ReceiptHandle: 'job-2', Body: '{"requestPayload":{"organization_id":"pied-piper-aws"}}' },
          ],
        })
        .resolves({ Messages: [] });
      sqs.on(ReceiveMessageCommand, { QueueUrl: SCHEDULER_DLQ_URL }).resolves({ Messages: [] });

      const reply = await keyward(['jobs', 'redrive', '--json']);

      expect(reply.code).toBe(1);
      expect(JSON.parse(reply.stdout)).toEqual({ redriven: 0, failed: 2 });
      expect(reply.stderr).toContain(
        `retire job of pied-piper-aws/${keyId} failed again: ${RETIRE_ARN} failed (Unhandled): ProvisionedThroughputExceededException`,
      );
      expect(reply.stderr).toContain('holds no retirement or reminder job');
      expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
      expect(
        sqs
          .commandCalls(ChangeMessageVisibilityCommand)
          .map((call) => call.args[0].input.ReceiptHandle)
          .sort(),
      ).toEqual(['job-1', 'job-2']);
      expect(await new DynamoDbKeyStore(documentClient(table.clientConfig), table.tableName).getKey('pied-piper-aws', keyId)).toBeDefined();
    });
  });

  it("prints quota_used after org set-plan as the settings answer it in AWS: API Gateway's count for the organization's identifier", async () => {
    const plans = {
      default_plan: 'free',
      plans: { free: { rate: 10, burst: 20, quota: null }, pro: { rate: 100, burst: 200, quota: { limit: 1000, period: 'month' } } },
    };
    cloudFormation
      .on(DescribeStacksCommand, { StackName: STACK })
      .resolves(
        stackOutputs({ [STACK_OUTPUT.plans]: JSON.stringify(plans), [STACK_OUTPUT.usagePlanIds]: '{"free":"up-free","pro":"up-pro"}' }),
      );
    const gateway = fakeApiGateway();
    try {
      gateway.mock.on(GetUsageCommand).callsFake((input: { keyId: string }) => ({
        items: {
          [input.keyId]: [
            [30, 970],
            [12, 958],
          ],
        },
      }));
      await json(['org', 'create', '--name', 'Metered', '--id', 'metered-aws', '--admin', 'ops@metered.test']);
      const moved = await json(['org', 'set-plan', '--org', 'metered-aws', '--plan', 'pro']);
      expect(moved).toMatchObject({ plan: 'pro', quota_used: 42 });
      expect(gateway.mock.commandCalls(GetUsageCommand)[0]!.args[0].input).toMatchObject({ usagePlanId: 'up-pro', keyId: 'key-1' });
      expect([...gateway.members]).toEqual(['up-pro/key-1']);
    } finally {
      gateway.mock.restore();
    }
  });

  it('refuses token with --stack (dev JWTs exist only locally)', async () => {
    const reply = await keyward(['token', '--email', 'a@acme.test']);
    expect(reply.code).toBe(2);
    expect(reply.stderr).toMatch(/local stack only/);
  });
});
