import { APIGatewayClient, type GetUsageCommandInput } from '@aws-sdk/client-api-gateway';
import { EventBridgeClient, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import type { CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESClient, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { ApiGatewayQuotaUsage } from '../../../lambdas/adapters/api-gateway-quota-usage';
import { KmsSecretBox } from '../../../lambdas/adapters/kms-secret-box';
import { OPERATION_LIST, type Operation } from '../../../lambdas/operations/manifest';
import { usagePlanIdsConfig } from '../../../lambdas/runtime/config';
import { createRetirementScheduler } from '../../../lambdas/runtime/retirement-scheduler';
import { restrictScheduler, restrictSecretBox } from '../../../lambdas/runtime/wiring';
import { dynamoRequests } from '../../support/dynamodb-requests';
import type { AwsCall, DeployedFunction, Deployment } from '../../support/iam-deployment';

/**
 * Every AWS call a deployed function makes, derived rather than listed by hand:
 *   - what Lambda itself does with the function's role (logs, X-Ray, the stream of each
 *     event-source mapping and its on-failure queue), read from the template;
 *   - for an operation of the management API, its manifest row (table actions; KMS and schedules
 *     through the real adapters, restricted as the runtime restricts them);
 *   - for the other functions, the requests their real code sends when driven (drivers.ts).
 * A recorded SDK command becomes the IAM request AWS authorizes it as, with the resource ARN and
 * the request context AWS evaluates (`dynamodb:Attributes`, `kms:EncryptionContext:*`,
 * `ses:FromAddress`, `iam:PassedToService`, …).
 */

/** A command as a client sent it: its class name and input. */
export interface SentCommand {
  readonly name: string;
  readonly input: object;
}

/** The SDK clients keyward's functions use, stubbed so that what the code sends is recorded and answered. */
export interface SdkStubs {
  readonly dynamo: AwsClientStub<DynamoDBDocumentClient>;
  readonly kms: AwsClientStub<KMSClient>;
  readonly scheduler: AwsClientStub<SchedulerClient>;
  readonly ses: AwsClientStub<SESClient>;
  readonly events: AwsClientStub<EventBridgeClient>;
  readonly apiGateway: AwsClientStub<APIGatewayClient>;
}

export function stubSdkClients(): SdkStubs {
  return {
    dynamo: mockClient(DynamoDBDocumentClient),
    kms: mockClient(KMSClient),
    scheduler: mockClient(SchedulerClient),
    ses: mockClient(SESClient),
    events: mockClient(EventBridgeClient),
    apiGateway: mockClient(APIGatewayClient),
  };
}

/** Runs `work` and returns every command it sent through a stubbed client, in order. */
export async function recordCommands(stubs: SdkStubs, work: () => Promise<unknown>): Promise<SentCommand[]> {
  for (const stub of Object.values(stubs)) stub.resetHistory();
  await work();
  const histories: { args: unknown[] }[][] = [stubs.dynamo, stubs.kms, stubs.scheduler, stubs.ses, stubs.events, stubs.apiGateway].map(
    (stub) => stub.calls(),
  );
  return histories.flat().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: object };
    return { name: command.constructor.name, input: command.input };
  });
}

const sesIdentity = (d: Deployment, identity: string) => `arn:aws:ses:${d.region}:${d.account}:identity/${identity}`;
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);
/** `Name <a@b>` → `a@b`, as SES puts it in `ses:FromAddress`. */
const bareAddress = (from: string) => /<([^>]+)>/.exec(from)?.[1] ?? from;

/** The IAM requests behind one command sent by `principal`. */
export function callsOfCommand(d: Deployment, principal: string, command: SentCommand): AwsCall[] {
  const tableArn = (table: string) => `arn:aws:dynamodb:${d.region}:${d.account}:table/${table}`;
  switch (command.name) {
    case 'EncryptCommand':
    case 'DecryptCommand': {
      const input = command.input as { KeyId: string; EncryptionContext?: Record<string, string> };
      const context = input.EncryptionContext ?? {};
      return [
        {
          principal,
          action: command.name === 'EncryptCommand' ? 'kms:Encrypt' : 'kms:Decrypt',
          resource: input.KeyId.startsWith('arn:') ? input.KeyId : `arn:aws:kms:${d.region}:${d.account}:key/${input.KeyId}`,
          context: {
            ...Object.fromEntries(Object.entries(context).map(([key, value]) => [`kms:EncryptionContext:${key}`, value])),
            'kms:EncryptionContextKeys': Object.keys(context),
          },
        },
      ];
    }
    case 'CreateScheduleCommand': {
      const input = command.input as CreateScheduleCommandInput;
      return [
        { principal, action: 'scheduler:CreateSchedule', resource: scheduleArn(d, input.GroupName!, input.Name!) },
        // CreateSchedule hands the execution role to Scheduler: the caller must be allowed to pass it, to Scheduler.
        {
          principal,
          action: 'iam:PassRole',
          resource: input.Target!.RoleArn!,
          context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
        },
      ];
    }
    case 'DeleteScheduleCommand': {
      const input = command.input as { Name: string; GroupName: string };
      return [{ principal, action: 'scheduler:DeleteSchedule', resource: scheduleArn(d, input.GroupName, input.Name) }];
    }
    case 'SendEmailCommand': {
      const input = command.input as SendEmailCommandInput;
      const from = bareAddress(input.Source!);
      const recipients = [
        ...(input.Destination?.ToAddresses ?? []),
        ...(input.Destination?.CcAddresses ?? []),
        ...(input.Destination?.BccAddresses ?? []),
      ];
      // SES authorizes the sender's identity (the address's, or its domain's), the configuration
      // set, and, in the sandbox, each recipient's identity too: all with the From address.
      const identities = [from, domainOf(from), ...recipients.flatMap((to) => [to, domainOf(to)])];
      const resources = [
        ...new Set(identities.map((identity) => sesIdentity(d, identity))),
        ...(input.ConfigurationSetName ? [`arn:aws:ses:${d.region}:${d.account}:configuration-set/${input.ConfigurationSetName}`] : []),
      ];
      return resources.map((resource) => ({ principal, action: 'ses:SendEmail', resource, context: { 'ses:FromAddress': from } }));
    }
    case 'GetUsageCommand': {
      const input = command.input as GetUsageCommandInput;
      return [{ principal, action: 'apigateway:GET', resource: `arn:aws:apigateway:${d.region}::/usageplans/${input.usagePlanId}/usage` }];
    }
    case 'PutEventsCommand': {
      const input = command.input as PutEventsCommandInput;
      return [...new Set(input.Entries!.map((entry) => entry.EventBusName!))].map((bus) => ({
        principal,
        action: 'events:PutEvents',
        resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${d.region}:${d.account}:event-bus/${bus}`,
      }));
    }
    default: {
      // DynamoDB: one request per item a transaction names, with the attributes it touches.
      const input = command.input as { TableName?: string; TransactItems?: Record<string, { TableName: string }>[] };
      const tables = input.TransactItems ? input.TransactItems.map((item) => Object.values(item)[0]!.TableName) : [input.TableName!];
      return dynamoRequests([command]).map((request, index) => ({
        principal,
        action: request.action,
        resource: tableArn(tables[index]!),
        context: {
          'dynamodb:Attributes': request.attributes,
          ...(request.leadingKeys ? { 'dynamodb:LeadingKeys': request.leadingKeys } : {}),
        },
      }));
    }
  }
}

function scheduleArn(d: Deployment, group: string, name: string): string {
  return `arn:aws:scheduler:${d.region}:${d.account}:schedule/${group}/${name}`;
}

/**
 * What Lambda does with the function's role: write its logs, send its traces, read its streams,
 * park failed batches, and send an asynchronous invocation that failed all its attempts to its
 * on-failure destination.
 */
export function platformCalls(d: Deployment, fn: DeployedFunction): AwsCall[] {
  const principal = fn.session;
  const stream = `arn:aws:logs:${d.region}:${d.account}:log-group:${fn.logGroupName}:log-stream:2026/11/26/[$LATEST]0123456789abcdef`;
  return [
    { principal, action: 'logs:CreateLogStream', resource: stream },
    { principal, action: 'logs:PutLogEvents', resource: stream },
    ...(fn.tracing
      ? [
          { principal, action: 'xray:PutTraceSegments', resource: '*' },
          { principal, action: 'xray:PutTelemetryRecords', resource: '*' },
        ]
      : []),
    ...fn.eventSources.flatMap((source) => [
      ...['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((action) => ({
        principal,
        action,
        resource: source.streamArn,
      })),
      { principal, action: 'dynamodb:ListStreams', resource: '*' },
      ...(source.onFailure ? [{ principal, action: 'sqs:SendMessage', resource: source.onFailure }] : []),
    ]),
    ...(fn.asyncOnFailure ? [{ principal, action: 'sqs:SendMessage', resource: fn.asyncOnFailure }] : []),
  ];
}

/** The keyward function of an operation row, by its name `keyward-<stage>-<entry>`. */
export function operationOf(d: Deployment, fn: DeployedFunction): Operation | undefined {
  return OPERATION_LIST.find((operation) => fn.name === `${d.template.stackName}-${operation.entry}`);
}

const SAMPLE_CONTEXT = { organization_id: 'acme', api_key_id: '01JDQ3V8Z6M1X0K9B7C5N4P2R8' };

/**
 * An operation's calls from its manifest row: the table actions it declares (the integration
 * harness checks that the handler needs exactly those), and what the KMS and Scheduler adapters
 * send for the use the row declares, through the same restriction the runtime wraps them in.
 */
export async function operationCalls(
  d: Deployment,
  fn: DeployedFunction,
  row: Operation,
  stubs: SdkStubs,
): Promise<{ calls: AwsCall[]; schedules: CreateScheduleCommandInput[] }> {
  const table = `arn:aws:dynamodb:${d.region}:${d.account}:table/${fn.environment.TABLE_NAME}`;
  const calls: AwsCall[] = row.table.map((action) => ({ principal: fn.session, action: `dynamodb:${action}`, resource: table }));
  const commands: SentCommand[] = [];
  if (row.kms) {
    const use = row.kms;
    stubs.kms.onAnyCommand().resolves({ CiphertextBlob: Buffer.from('sealed'), Plaintext: Buffer.from('kw_token') });
    const box = restrictSecretBox(new KmsSecretBox(new KMSClient({}), fn.environment.KMS_KEY_ID!), use);
    commands.push(
      ...(await recordCommands(stubs, async () => {
        await Promise.allSettled([box.encrypt('kw_token', SAMPLE_CONTEXT), box.decrypt('c2VhbGVk', SAMPLE_CONTEXT)]);
      })),
    );
  }
  if (row.schedules) {
    const use = row.schedules;
    stubs.scheduler.onAnyCommand().resolves({});
    const scheduler = createRetirementScheduler(fn.environment);
    if (!scheduler) throw new Error(`${fn.name}: its manifest row schedules, but its environment names no scheduler`);
    const restricted = restrictScheduler(scheduler, use);
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const job = { organizationId: SAMPLE_CONTEXT.organization_id, apiKeyId: SAMPLE_CONTEXT.api_key_id, expiresAt, id: 'job-1' };
    commands.push(
      ...(await recordCommands(stubs, async () => {
        await Promise.allSettled([
          restricted.scheduleRetirement(job),
          restricted.cancelRetirement(job),
          restricted.scheduleReminder({ ...job, markDays: 7 }),
          restricted.cancelReminder({ ...job, markDays: 7 }),
        ]);
      })),
    );
  }
  const usagePlanIds = row.quotaUsage && usagePlanIdsConfig(fn.environment as NodeJS.ProcessEnv);
  if (usagePlanIds) {
    // quota_used on a stage with plans: GetUsage of the organization's identifier in each plan's usage plan.
    stubs.apiGateway.onAnyCommand().resolves({ items: {} });
    const usage = new ApiGatewayQuotaUsage(new APIGatewayClient({ region: d.region }), usagePlanIds, async () => ({
      id: 'k1',
      value: 'v',
    }));
    commands.push(
      ...(await recordCommands(stubs, async () => {
        for (const plan of Object.keys(usagePlanIds)) await usage.used(SAMPLE_CONTEXT.organization_id, plan, new Date(), new Date());
      })),
    );
  }
  return {
    calls: [...calls, ...commands.flatMap((command) => callsOfCommand(d, fn.session, command))],
    schedules: commands
      .filter((command) => command.name === 'CreateScheduleCommand')
      .map((command) => command.input as CreateScheduleCommandInput),
  };
}

/**
 * What EventBridge Scheduler does when a schedule the functions created fires: assume the
 * schedule's role (as the service, presenting the schedule GROUP's ARN as `aws:SourceArn` since
 * 2023-09-07, and the account), invoke the target with it, and send to the dead-letter queue
 * with it what it could not deliver.
 */
export function scheduleRunCalls(d: Deployment, schedule: CreateScheduleCommandInput): AwsCall[] {
  const target = schedule.Target!;
  const role = d.template.resourcesOf('AWS::IAM::Role').find(([id]) => d.template.getAtt(id, 'Arn') === target.RoleArn)?.[0];
  if (!role) throw new Error(`the schedule's role ${target.RoleArn} is not a role of the template`);
  const session = d.sessionOf(role, 'scheduler-session');
  return [
    {
      principal: 'scheduler.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: target.RoleArn!,
      context: {
        'aws:SourceArn': `arn:aws:scheduler:${d.region}:${d.account}:schedule-group/${schedule.GroupName}`,
        'aws:SourceAccount': d.account,
      },
    },
    { principal: session, action: 'lambda:InvokeFunction', resource: target.Arn! },
    ...(target.DeadLetterConfig?.Arn ? [{ principal: session, action: 'sqs:SendMessage', resource: target.DeadLetterConfig.Arn }] : []),
  ];
}

/**
 * What API Gateway does with each method and authorizer backed by a function: invoke it as the
 * service, presenting the method's execute-api ARN (stage, method, the path as requested: a path
 * parameter is a value) or the authorizer's as `aws:SourceArn`. The function's resource policy
 * (its AWS::Lambda::Permission resources) must allow it.
 */
export function gatewayInvokeCalls(d: Deployment): AwsCall[] {
  const t = d.template;
  const executeApi = (apiId: string, rest: string) => `arn:aws:execute-api:${d.region}:${d.account}:${apiId}/${rest}`;
  const functionIn = (uri: unknown) => /functions\/(arn:[^/]+)\/invocations$/.exec(t.string(uri))?.[1];
  const invoke = (resource: string, sourceArn: string): AwsCall => ({
    principal: 'apigateway.amazonaws.com',
    action: 'lambda:InvokeFunction',
    resource,
    context: { 'aws:SourceArn': sourceArn },
  });
  const pathOf = (resourceId: unknown): string => {
    const ref = (resourceId as { Ref?: string }).Ref;
    if (ref === undefined) return ''; // the API's root resource (Fn::GetAtt RootResourceId)
    const { ParentId: parent, PathPart: part } = t.resource(ref).Properties as { ParentId: unknown; PathPart: string };
    return `${pathOf(parent)}/${part.replace(/^\{.+\}$/, 'sample')}`;
  };
  const stageOf = (apiId: string) => {
    const stage = t.resourcesOf('AWS::ApiGateway::Stage').find(([, s]) => t.string(s.Properties!.RestApiId) === apiId);
    if (!stage) throw new Error(`no stage for the API ${apiId}`);
    return t.string(stage[1].Properties!.StageName);
  };
  const methods = t.resourcesOf('AWS::ApiGateway::Method').flatMap(([, method]) => {
    const p = method.Properties as {
      HttpMethod: string;
      ResourceId: unknown;
      RestApiId: unknown;
      Integration?: { Type?: string; Uri?: unknown };
    };
    if (p.Integration?.Type !== 'AWS_PROXY') return [];
    const target = functionIn(p.Integration.Uri);
    if (!target) return [];
    const apiId = t.string(p.RestApiId);
    return [invoke(target, executeApi(apiId, `${stageOf(apiId)}/${p.HttpMethod}${pathOf(p.ResourceId)}`))];
  });
  const authorizers = t.resourcesOf('AWS::ApiGateway::Authorizer').map(([id, authorizer]) => {
    const p = authorizer.Properties as { AuthorizerUri: unknown; RestApiId: unknown };
    const target = functionIn(p.AuthorizerUri);
    if (!target) throw new Error(`the authorizer ${id} is not a Lambda function`);
    return invoke(target, executeApi(t.string(p.RestApiId), `authorizers/${t.ref(id)}`));
  });
  return [...methods, ...authorizers];
}
