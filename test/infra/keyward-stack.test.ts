import { Match, type Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_ROUTES } from '../../lambdas/domain/routes';
import { OPERATION_LIST } from '../../lambdas/operations/manifest';
import { MAILED_EVENT_TYPES } from '../../lib/constructs/notifications';
import { synthKeyward } from './synth';
import { actionsOf, environmentOf, functionId, mentions, resourcesOf, statementsOf, statementsOfRole } from './template-helpers';

const ALL_ENTRIES = [
  'api-key-authorizer',
  'admin-authorizer',
  'example-echo',
  ...OPERATION_LIST.map((operation) => operation.entry),
  'retire-api-key',
  'remind-api-key-expiry',
  'notify-admins',
  'publish-events',
];

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward({
    stage: 'prod',
    sesSender: 'keys@example.com',
    adminIssuer: 'https://login.example.com/',
    adminAudience: 'keyward-console',
    keyPrefix: 'acme',
    resourceCatalog: 'customer,invoice',
    authorizerCacheTtlSeconds: '300',
    authorizerKeyCacheMs: '1000',
  }).template;
});

const fnName = (entry: string, stage = 'dev') => `keyward-${stage}-${entry}`;

/** The path of an API Gateway resource (`{Ref: id}`), from its PathPart up to the root. */
function resourcePath(template: Template, resource: unknown): string {
  const id = (resource as { Ref?: string }).Ref;
  if (id === undefined) return '';
  const { ParentId, PathPart } = resourcesOf(template, 'AWS::ApiGateway::Resource')[id]!.Properties as {
    ParentId: unknown;
    PathPart: string;
  };
  return `${resourcePath(template, ParentId)}/${PathPart}`;
}
const usingAction = (template: Template, action: string, stage: string) =>
  ALL_ENTRIES.filter((entry) => actionsOf(template, fnName(entry, stage)).includes(action)).sort();

describe('the table', () => {
  it('is on-demand with pk/sk, PITR, a NEW_IMAGE stream, the ttl attribute and KMS encryption', () => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      Tags: Match.arrayWith([{ Key: 'stage', Value: 'dev' }]),
    });
  });

  it('has deletion protection outside dev and none in dev (removal policies: removal-policies.test.ts)', () => {
    prod.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    dev.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('has a generated name unless the tableName context pins one, which every function is told', () => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', { TableName: Match.absent() });
    const tableId = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table'))[0]!;
    expect(environmentOf(dev, fnName('list-api-keys')).TABLE_NAME).toEqual({ Ref: tableId });

    const pinned = synthKeyward({ stage: 'prod', tableName: 'keyward-prod' }).template;
    pinned.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'keyward-prod' });
  });
});

describe('the token key', () => {
  it('has key rotation on and a stage alias', () => {
    dev.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    dev.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/keyward-dev-tokens' });
  });
});

describe('the functions', () => {
  it('are one per operation, named after the stage', () => {
    const names = Object.values(resourcesOf(dev, 'AWS::Lambda::Function')).map((fn) => fn.Properties!.FunctionName);
    expect(names.sort()).toEqual(ALL_ENTRIES.map((entry) => fnName(entry)).sort());
  });

  it.each(ALL_ENTRIES)('%s runs nodejs22.x or newer on arm64 with tracing, Powertools and its own log group', (entry) => {
    dev.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: fnName(entry),
      Runtime: Match.stringLikeRegexp('^nodejs(2[2-9]|[3-9][0-9])\\.x$'),
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'keyward',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      },
    });
    dev.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${fnName(entry)}`, RetentionInDays: 30 });
  });

  it.each(ALL_ENTRIES)('%s maps stacks to the sources unless it is the api-key authorizer (measured not worth it there)', (entry) => {
    expect(environmentOf(dev, fnName(entry)).NODE_OPTIONS).toBe(entry === 'api-key-authorizer' ? undefined : '--enable-source-maps');
  });

  it('pass the key prefix and resource catalog from the context', () => {
    expect(environmentOf(prod, fnName('create-api-key', 'prod'))).toMatchObject({
      KEY_PREFIX: 'acme',
      RESOURCE_CATALOG: 'customer,invoice',
    });
    expect(environmentOf(prod, fnName('api-key-authorizer', 'prod'))).toMatchObject({ KEY_PREFIX: 'acme' });
  });

  it('give AUTHORIZER_KEY_CACHE_MS to the api-key authorizer only, and only when the context sets it', () => {
    const withCache = (template: Template, stage: string) =>
      ALL_ENTRIES.filter((entry) => 'AUTHORIZER_KEY_CACHE_MS' in environmentOf(template, fnName(entry, stage)));
    expect(withCache(prod, 'prod')).toEqual(['api-key-authorizer']);
    expect(environmentOf(prod, fnName('api-key-authorizer', 'prod'))).toMatchObject({ AUTHORIZER_KEY_CACHE_MS: '1000' });
    expect(withCache(dev, 'dev')).toEqual([]);
  });

  it('give KMS_KEY_ID to create, rotate and reveal only', () => {
    const withKey = ALL_ENTRIES.filter((entry) => 'KMS_KEY_ID' in environmentOf(dev, fnName(entry))).sort();
    expect(withKey).toEqual(['create-api-key', 'reveal-api-key', 'rotate-api-key']);
  });
});

describe('least privilege per function', () => {
  it('lets the api-key authorizer GetItem and write last_used_at on the table ARN and nothing else', () => {
    const tableId = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table'))[0]!;
    const statements = statementsOf(dev, fnName('api-key-authorizer'));
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'last_used_at'] } },
      },
    ]);
    expect(actionsOf(dev, fnName('api-key-authorizer'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('lets the admin authorizer only GetItem', () => {
    expect(actionsOf(dev, fnName('admin-authorizer')).filter((a) => !/^(logs|xray):/.test(a))).toEqual(['dynamodb:GetItem']);
  });

  it.each(OPERATION_LIST.map((operation) => [operation.entry, operation] as const))(
    '%s may do on the table exactly what its manifest row lists, on the table ARN only',
    (entry, operation) => {
      const tableId = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table'))[0]!;
      const dynamo = statementsOf(dev, fnName(entry)).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
      expect(dynamo.flatMap((s) => [s.Action].flat()).sort()).toEqual(operation.table.map((action) => `dynamodb:${action}`).sort());
      for (const statement of dynamo) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
      expect('TABLE_NAME' in environmentOf(dev, fnName(entry))).toBe(operation.table.length > 0);
    },
  );

  it('gives GET /openapi.json and the echo no data access at all', () => {
    for (const entry of ['get-openapi', 'example-echo']) {
      expect(actionsOf(dev, fnName(entry)).filter((a) => !/^(logs|xray):/.test(a))).toEqual([]);
    }
  });

  it('lets no function Scan or touch the table with a wildcard action', () => {
    const all = ALL_ENTRIES.flatMap((entry) => actionsOf(dev, fnName(entry)));
    expect(all.filter((a) => a === 'dynamodb:Scan' || a.endsWith('*'))).toEqual([]);
  });

  it('lets only reveal kms:Decrypt, and only create and rotate kms:Encrypt; nobody else any KMS action', () => {
    expect(usingAction(dev, 'kms:Decrypt', 'dev')).toEqual(['reveal-api-key']);
    expect(usingAction(dev, 'kms:Encrypt', 'dev')).toEqual(['create-api-key', 'rotate-api-key']);
    const kmsUsers = ALL_ENTRIES.filter((entry) => actionsOf(dev, fnName(entry)).some((a) => a.startsWith('kms:'))).sort();
    expect(kmsUsers).toEqual(['create-api-key', 'reveal-api-key', 'rotate-api-key']);
    expect(actionsOf(dev, fnName('rotate-api-key')).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Encrypt']);
  });

  it('lets only create, update and rotate create schedules and pass the scheduler role, and delete only remove them, in the lifecycle group', () => {
    const managers = ['create-api-key', 'rotate-api-key', 'update-api-key'];
    expect(usingAction(dev, 'scheduler:CreateSchedule', 'dev')).toEqual(managers);
    expect(usingAction(dev, 'scheduler:DeleteSchedule', 'dev')).toEqual([
      'create-api-key',
      'delete-api-key',
      'rotate-api-key',
      'update-api-key',
    ]);
    expect(usingAction(dev, 'iam:PassRole', 'dev')).toEqual(managers);
    const schedulerActions = (entry: string) =>
      actionsOf(dev, fnName(entry)).filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole');
    for (const entry of managers) {
      expect(schedulerActions(entry)).toEqual(['iam:PassRole', 'scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    }
    expect(schedulerActions('delete-api-key')).toEqual(['scheduler:DeleteSchedule']);
    for (const entry of [...managers, 'delete-api-key']) {
      const scheduling = statementsOf(dev, fnName(entry)).find((s) => JSON.stringify(s.Action).includes('scheduler:'))!;
      expect(JSON.stringify(scheduling.Resource)).toContain(':schedule/keyward-dev-retirements/*');
      expect(environmentOf(dev, fnName(entry))).toEqual(
        expect.objectContaining({
          SCHEDULE_GROUP_NAME: 'keyward-dev-retirements',
          RETIRE_FUNCTION_ARN: expect.anything(),
          REMIND_FUNCTION_ARN: { 'Fn::GetAtt': [functionId(dev, fnName('remind-api-key-expiry')), 'Arn'] },
          SCHEDULER_ROLE_ARN: expect.anything(),
          SCHEDULER_DLQ_ARN: expect.anything(),
        }),
      );
    }
    const passRole = statementsOf(dev, fnName('rotate-api-key')).find((s) => s.Action === 'iam:PassRole')!;
    const schedulerRoleId = Object.keys(resourcesOf(dev, 'AWS::IAM::Role')).find((id) => id.startsWith('RetirementSchedulerRole'))!;
    expect(passRole.Resource).toEqual({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] });
  });

  it('lets only the notifier send email, from the configured identity', () => {
    expect(usingAction(prod, 'ses:SendEmail', 'prod')).toEqual(['notify-admins']);
    const send = statementsOf(prod, fnName('notify-admins', 'prod')).find((s) => JSON.stringify(s.Action).includes('ses:SendEmail'))!;
    expect(JSON.stringify(send.Resource)).toContain(':identity/keys@example.com');
    expect(environmentOf(prod, fnName('notify-admins', 'prod'))).toMatchObject({ SES_FROM_ADDRESS: 'keys@example.com' });
  });

  it('lets the notifier use the table for idempotency records and reading admins', () => {
    expect(actionsOf(dev, fnName('notify-admins')).filter((a) => a.startsWith('dynamodb:') && !/Stream|Shard|Records/.test(a))).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });
});

describe('the retirement schedule', () => {
  it('has a stage schedule group and a scheduler role that may only invoke the retire and remind functions and fill the DLQ', () => {
    dev.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'keyward-dev-retirements' });
    dev.hasResourceProperties('AWS::SQS::Queue', { QueueName: Match.absent(), SqsManagedSseEnabled: true });
    const [roleId, role] = Object.entries(resourcesOf(dev, 'AWS::IAM::Role')).find(([id]) => id.startsWith('RetirementSchedulerRole'))!;
    expect(JSON.stringify(role.Properties!.AssumeRolePolicyDocument)).toContain('scheduler.amazonaws.com');
    expect(JSON.stringify(role.Properties!.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');

    const statements = statementsOfRole(dev, roleId);
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
    expect(invoke.Resource).toEqual([
      { 'Fn::GetAtt': [functionId(dev, fnName('retire-api-key')), 'Arn'] },
      { 'Fn::GetAtt': [functionId(dev, fnName('remind-api-key-expiry')), 'Arn'] },
    ]);
    const send = statements.find((s) => JSON.stringify(s.Action).includes('sqs:SendMessage'))!;
    expect(
      mentions(send.Resource, Object.keys(resourcesOf(dev, 'AWS::SQS::Queue')).find((id) => id.startsWith('RetirementDeadLetterQueue'))!),
    ).toBe(true);
  });
});

describe('the remind function', () => {
  it('reads and writes the table (the reminder marker and its event, in one transaction) and nothing else', () => {
    const actions = actionsOf(dev, fnName('remind-api-key-expiry'));
    expect(actions.some((a) => a.startsWith('kms:') || a.startsWith('scheduler:') || a.startsWith('ses:'))).toBe(false);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(environmentOf(dev, fnName('remind-api-key-expiry'))).toEqual(expect.objectContaining({ TABLE_NAME: expect.anything() }));
  });
});

describe('the notifier subscription', () => {
  it('filters the stream to inserted, mailed audit events and used expiring keys, bisects on error, retries, honours partial failures and sends failures to SQS', () => {
    const notifierId = functionId(prod, fnName('notify-admins', 'prod'));
    const mapping = Object.values(resourcesOf(prod, 'AWS::Lambda::EventSourceMapping')).find((m) =>
      mentions(m.Properties!.FunctionName, notifierId),
    );
    const props = mapping!.Properties!;
    expect(props).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
      Enabled: true,
    });
    const failureQueueId = Object.keys(resourcesOf(prod, 'AWS::SQS::Queue')).find((id) => id.startsWith('NotificationsFailureQueue'))!;
    expect(props.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [failureQueueId, 'Arn'] } } });
    const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      {
        eventName: ['INSERT'],
        dynamodb: { Keys: { sk: { S: [{ prefix: 'EVENT#' }] } }, NewImage: { type: { S: [...MAILED_EVENT_TYPES] } } },
      },
      {
        eventName: ['MODIFY'],
        dynamodb: {
          Keys: { sk: { S: [{ prefix: 'KEY#' }] } },
          NewImage: { expires_at: { S: [{ exists: true }] }, last_used_at: { S: [{ exists: true }] } },
        },
      },
    ]);
  });

  it('is deployed disabled, with no SES rights and no identity, when no sender is configured', () => {
    dev.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId(dev, fnName('notify-admins')) },
      Enabled: false,
    });
    dev.resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(usingAction(dev, 'ses:SendEmail', 'dev')).toEqual([]);
  });
});

describe('the lifecycle events', () => {
  const publisher = (template: Template, stage = 'dev') => functionId(template, fnName('publish-events', stage));

  it('has a bus of the stage, named in the outputs', () => {
    prod.hasResourceProperties('AWS::Events::EventBus', { Name: 'keyward-prod-events' });
    const [busId] = Object.keys(resourcesOf(prod, 'AWS::Events::EventBus'));
    expect(prod.toJSON().Outputs.EventBusName.Value).toEqual({ Ref: busId });
    expect(prod.toJSON().Outputs.EventBusArn.Value).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(environmentOf(prod, fnName('publish-events', 'prod'))).toEqual(expect.objectContaining({ EVENT_BUS_NAME: { Ref: busId } }));
  });

  it('lets only the publisher put events, on that bus only, and gives it no table item', () => {
    const [busId] = Object.keys(resourcesOf(dev, 'AWS::Events::EventBus'));
    expect(usingAction(dev, 'events:PutEvents', 'dev')).toEqual(['publish-events']);
    const put = statementsOf(dev, fnName('publish-events')).filter((s) => JSON.stringify(s.Action).includes('events:'));
    expect(put).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } }),
    ]);
    expect(actionsOf(dev, fnName('publish-events')).filter((a) => a.startsWith('dynamodb:') && !/Stream|Shard|Records/.test(a))).toEqual(
      [],
    );
  });

  it('subscribes the publisher to every new audit event, with partial-failure reports, retries and its own failure queue', () => {
    const mapping = Object.values(resourcesOf(prod, 'AWS::Lambda::EventSourceMapping')).find((m) =>
      mentions(m.Properties!.FunctionName, publisher(prod, 'prod')),
    );
    const props = mapping!.Properties!;
    expect(props).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(props.Enabled ?? true).toBe(true);
    const queueId = Object.keys(resourcesOf(prod, 'AWS::SQS::Queue')).find((id) => id.startsWith('LifecycleEventsFailureQueue'))!;
    expect(props.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
    const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'EVENT#' }] } } } },
    ]);
    expect(resourcesOf(prod, 'AWS::SQS::Queue')[queueId]!.Properties?.QueueName).toBeUndefined();
  });
});

describe('the management API', () => {
  it('routes each operation to its own function behind the admin REQUEST authorizer with no cache', () => {
    const [authorizerId] = Object.entries(resourcesOf(dev, 'AWS::ApiGateway::Authorizer')).find(
      ([, authorizer]) => authorizer.Properties!.IdentitySource === 'method.request.header.Authorization',
    )!;
    dev.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    const methods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method'));
    for (const operation of OPERATION_LIST.filter((row) => row.auth !== 'public')) {
      const fnId = functionId(dev, fnName(operation.entry));
      const matching = methods.filter((m) => m.Properties!.HttpMethod === operation.method && mentions(m.Properties!.Integration, fnId));
      expect(matching).toHaveLength(1);
      expect(matching[0]!.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      expect(resourcePath(dev, matching[0]!.Properties!.ResourceId)).toBe(operation.path);
    }
  });

  it('serves GET /openapi.json with no authorizer, and GET /v1/me behind the admin authorizer', () => {
    const methods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method'));
    const openapi = methods.find((m) => mentions(m.Properties!.Integration, functionId(dev, fnName('get-openapi'))))!;
    expect(openapi.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'NONE' });
    expect(openapi.Properties).not.toHaveProperty('AuthorizerId');
    expect(resourcePath(dev, openapi.Properties!.ResourceId)).toBe('/openapi.json');
    const me = methods.find((m) => mentions(m.Properties!.Integration, functionId(dev, fnName('get-me'))))!;
    expect(me.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
    expect(resourcePath(dev, me.Properties!.ResourceId)).toBe('/v1/me');
    expect(actionsOf(dev, fnName('get-me')).filter((a) => !/^(logs|xray):/.test(a))).toEqual(['dynamodb:Query']);
  });

  it('answers 401, authorizer failures and undefined routes with the API.md bodies', () => {
    const managementApiId = Object.keys(resourcesOf(dev, 'AWS::ApiGateway::RestApi')).find((id) => id.startsWith('Management'))!;
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: managementApiId },
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseTemplates: { 'application/json': '{"status":401,"error":"Unauthorized"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: managementApiId },
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': '{"status":404,"error":"Not Found","code":"route_not_found"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: managementApiId },
      ResponseType: 'AUTHORIZER_FAILURE',
      StatusCode: '500',
      ResponseTemplates: { 'application/json': '{"status":500,"error":"Internal Server Error","code":"internal_error"}' },
    });
  });

  it('trusts a Cognito user pool and app client when no external issuer is configured', () => {
    dev.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'keyward-dev-admins',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    dev.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    const env = environmentOf(dev, fnName('admin-authorizer'));
    expect(JSON.stringify(env.ADMIN_JWT_ISSUER)).toContain('https://cognito-idp.');
    expect(mentions(env.ADMIN_JWT_AUDIENCE, Object.keys(resourcesOf(dev, 'AWS::Cognito::UserPoolClient'))[0]!)).toBe(true);
  });

  it('trusts the external issuer and creates no user pool when one is configured', () => {
    prod.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(environmentOf(prod, fnName('admin-authorizer', 'prod'))).toMatchObject({
      ADMIN_JWT_ISSUER: 'https://login.example.com',
      ADMIN_JWT_AUDIENCE: 'keyward-console',
    });
  });
});

describe('the example protected API', () => {
  it('puts every route of the route table behind the api-key authorizer', () => {
    const exampleAuthorizerId = Object.keys(resourcesOf(dev, 'AWS::ApiGateway::Authorizer')).find((id) => id.startsWith('Example'))!;
    const protectedMethods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method')).filter(
      (m) => JSON.stringify(m.Properties!.AuthorizerId) === JSON.stringify({ Ref: exampleAuthorizerId }),
    );
    expect(protectedMethods.map((m) => m.Properties!.HttpMethod).sort()).toEqual(EXAMPLE_ROUTES.map((r) => r.method).sort());
    expect(protectedMethods.every((m) => m.Properties!.AuthorizationType === 'CUSTOM')).toBe(true);
  });

  it('has the authorizer cache off by default', () => {
    const example = Object.entries(resourcesOf(dev, 'AWS::ApiGateway::Authorizer')).find(([id]) => id.startsWith('Example'))![1];
    expect(example.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0, IdentitySource: '' });
  });

  it('caches for the opted-in TTL, keyed by key, method and route', () => {
    const example = Object.entries(resourcesOf(prod, 'AWS::ApiGateway::Authorizer')).find(([id]) => id.startsWith('Example'))![1];
    expect(example.Properties).toMatchObject({
      AuthorizerResultTtlInSeconds: 300,
      IdentitySource: 'method.request.header.x-api-key,context.httpMethod,context.resourcePath',
    });
  });

  it('answers 401 and 403 with the API.md bodies, the 403 carrying the authorizer code, and denies undefined routes', () => {
    const exampleApiId = Object.keys(resourcesOf(dev, 'AWS::ApiGateway::RestApi')).find((id) => id.startsWith('Example'))!;
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: exampleApiId },
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
      ResponseTemplates: { 'application/json': '{"status":401,"error":"Unauthorized"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: exampleApiId },
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
      ResponseTemplates: { 'application/json': '{"status":403,"error":"Forbidden","code":"$context.authorizer.code"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: exampleApiId },
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '403',
      ResponseTemplates: { 'application/json': '{"status":403,"error":"Forbidden","code":"route_not_allowed"}' },
    });
  });
});

describe('stage naming', () => {
  it('puts the stage in API names and tags every resource with it', () => {
    prod.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'keyward-prod-management' });
    prod.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'keyward-prod-example' });
    prod.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod', TracingEnabled: true });
    prod.hasResourceProperties('AWS::SQS::Queue', { Tags: Match.arrayWith([{ Key: 'stage', Value: 'prod' }]) });
  });
});
