import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EXAMPLE_ROUTES, parseRoutes, type RouteDefinition } from '../../lambdas/domain/routes';
import { generateToken } from '../../lambdas/domain/token';
import { GATEWAY_RESPONSE_TYPES } from '../../lambdas/http/gateway-responses';
import { ApiKeyAuthorizer, type ApiKeyAuthorizerProps } from '../../lib/constructs/api-key-authorizer';
import { stageProps } from '../../lib/stage';
import { authorizerEvent, importWithEnv } from '../support/authorizer-events';
import { dynamoJsonRequests, statementsAllowing } from '../support/dynamodb-requests';
import { startDynamoDbStandIn, wireHotItem } from '../support/dynamodb-stand-in';
import { actionsOf, environmentOf, functionId, functionProps, mentions, resourcesOf, statementsOf } from './template-helpers';

const FUNCTION_NAME = 'keyward-prod-orders-authorizer';
const ORDERS: RouteDefinition[] = [
  { method: 'GET', path: '/orders', resource: 'order', mode: 'read', tracksUsage: true },
  { method: 'POST', path: '/orders', resource: 'order', mode: 'write', tracksUsage: true },
  { method: 'POST', path: '/orders/{id}/events', resource: 'order', mode: 'write', tracksUsage: false },
];

/**
 * A platform's own stack, not keyward's: a bare RestApi, keyward's table imported by name, and
 * the construct dropped onto the API. Bundling is skipped (the template is under test here;
 * `npx cdk synth` bundles the real function).
 */
function platformStack(props: Partial<ApiKeyAuthorizerProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Platform', { env: { account: '111122223333', region: 'eu-west-1' } });
  const restApi = new apigw.RestApi(stack, 'PlatformApi', { restApiName: 'orders', cloudWatchRole: false });
  const table = dynamodb.Table.fromTableName(stack, 'KeywardTable', 'keyward-prod');
  const authorizer = new ApiKeyAuthorizer(stack, 'Keys', {
    ...stageProps('prod'),
    restApi,
    table,
    keyPrefix: 'acme',
    routes: ORDERS,
    name: 'orders-authorizer',
    ...props,
  });
  return { app, stack, restApi, table, authorizer, integration: new apigw.MockIntegration() };
}

function protectedPlatform(props: Partial<ApiKeyAuthorizerProps> = {}) {
  const platform = platformStack(props);
  platform.authorizer.addRoutes(platform.integration);
  const template = Template.fromStack(platform.stack);
  return { ...platform, template, apiId: platform.stack.getLogicalId(platform.restApi.node.defaultChild as apigw.CfnRestApi) };
}

const dynamoStatements = (template: Template) =>
  statementsOf(template, FUNCTION_NAME).filter((statement) => JSON.stringify(statement.Action).includes('dynamodb:'));

describe("ApiKeyAuthorizer on a platform's own RestApi", () => {
  it('builds the keyward authorizer function, named after the stage, and tells it the table, the prefix and the route table', () => {
    const { template } = protectedPlatform();

    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: FUNCTION_NAME,
      Handler: 'index.handler',
      Architectures: ['arm64'],
      // Traced only when the stage sampled the request (test/infra/cost-defaults.test.ts).
      TracingConfig: { Mode: 'PassThrough' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', SystemLogLevel: 'WARN' }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${FUNCTION_NAME}` });
    const environment = environmentOf(template, FUNCTION_NAME);
    expect(environment).toMatchObject({ TABLE_NAME: 'keyward-prod', KEY_PREFIX: 'acme' });
    expect(parseRoutes(environment.ROUTE_TABLE as string)).toEqual(ORDERS);
    expect(Object.keys(environment).filter((name) => name.startsWith('AUTHORIZER_KEY_CACHE'))).toEqual([]);
  });

  it('lets the function read items and write only last_used_at, on that table alone: no Scan, no index, no KMS', () => {
    const { stack, table, template } = protectedPlatform();
    const tableArn = stack.resolve(table.tableArn);

    expect(dynamoStatements(template)).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn },
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: tableArn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'last_used_at'] } },
      },
    ]);
    expect(actionsOf(template, FUNCTION_NAME)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('grants exactly what the function sends when it allows a key and records its use', async () => {
    const { template } = protectedPlatform();
    const statements = dynamoStatements(template);
    const environment = Object.fromEntries(
      Object.entries(environmentOf(template, FUNCTION_NAME)).map(([name, value]) => [name, String(value)]),
    );
    // The function speaks DynamoDB's JSON protocol itself (adapters/dynamodb-http/): a stand-in records what it sends.
    const dynamo = await startDynamoDbStandIn();
    const token = generateToken('acme');
    dynamo.respond((request) =>
      request.operation === 'GetItem' ? { json: { Item: wireHotItem(token, { permissions: { order: ['read'] } }) } } : { json: {} },
    );
    const { handler } = await importWithEnv(
      {
        ...environment,
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKID',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
      () => import('../../lambdas/api-key-authorizer'),
    );

    const result = await handler(authorizerEvent({ method: 'GET', resource: '/orders', headers: { 'x-api-key': token } }));

    await dynamo.close();
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    const requests = dynamoJsonRequests(dynamo.requests);
    expect(requests.map(({ action, attributes }) => ({ action, attributes }))).toEqual([
      { action: 'dynamodb:GetItem', attributes: ['pk', 'sk'] },
      // One UpdateItem of the hot item (it was a two-item transaction before).
      { action: 'dynamodb:UpdateItem', attributes: ['last_used_at', 'pk', 'sk'] },
    ]);
    expect(requests.filter((request) => statementsAllowing(statements, request).length === 0)).toEqual([]);
    expect(statements.filter((statement) => !requests.some((request) => statementsAllowing([statement], request).length > 0))).toEqual([]);
    // The condition is what keeps the write to last_used_at: a write of anything else is refused.
    expect(statementsAllowing(statements, { action: 'dynamodb:UpdateItem', attributes: ['permissions', 'pk', 'sk'] })).toEqual([]);
  });

  it('puts every route behind an uncached REQUEST authorizer backed by the function, which reads the key itself', () => {
    const { template, apiId } = protectedPlatform();
    const fnId = functionId(template, FUNCTION_NAME);
    const [authorizerId, authorizer] = Object.entries(resourcesOf(template, 'AWS::ApiGateway::Authorizer'))[0]!;

    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      RestApiId: { Ref: apiId },
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: '',
    });
    expect(mentions(authorizer.Properties!.AuthorizerUri, fnId)).toBe(true);
    const methods = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'));
    expect(methods.map((method) => method.Properties!.HttpMethod).sort()).toEqual(ORDERS.map((route) => route.method).sort());
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        RestApiId: { Ref: apiId },
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    const permission = Object.values(resourcesOf(template, 'AWS::Lambda::Permission'))[0]!.Properties!;
    expect(permission).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    expect(mentions(permission.SourceArn, apiId) && mentions(permission.SourceArn, authorizerId)).toBe(true);
  });

  it("answers every gateway response type of the platform API in the contract's shape: 401, 403 with the code, undefined routes denied", () => {
    const { template, apiId } = protectedPlatform();

    const responses = Object.values(resourcesOf(template, 'AWS::ApiGateway::GatewayResponse')).map((response) => response.Properties!);
    expect(responses.map((r) => r.ResponseType).sort()).toEqual([...GATEWAY_RESPONSE_TYPES].sort());
    for (const response of responses) {
      expect(response).toMatchObject({
        RestApiId: { Ref: apiId },
        ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
      });
    }
    const byType = Object.fromEntries(
      responses.map((r) => [r.ResponseType, [r.StatusCode, (r.ResponseTemplates as Record<string, string>)['application/json']]]),
    );
    expect(byType).toMatchObject({
      UNAUTHORIZED: ['401', '{"status":401,"error":"Unauthorized"}'],
      ACCESS_DENIED: ['403', '{"status":403,"error":"Forbidden","code":"$context.authorizer.code"}'],
      AUTHORIZER_FAILURE: ['500', '{"status":500,"error":"Internal Server Error","code":"internal_error"}'],
      AUTHORIZER_CONFIGURATION_ERROR: ['500', '{"status":500,"error":"Internal Server Error","code":"internal_error"}'],
      MISSING_AUTHENTICATION_TOKEN: ['403', '{"status":403,"error":"Forbidden","code":"route_not_allowed"}'],
      THROTTLED: ['429', '{"status":429,"error":"Too Many Requests","code":"throttled"}'],
    });
  });

  it('leaves no unacknowledged cdk-nag AwsSolutions finding of its own', () => {
    const { app, restApi, authorizer, integration } = platformStack();
    authorizer.addRoutes(integration);
    // The bare RestApi stands for the platform's API: its logs, validation and WAF are its owner's.
    for (const id of ['AwsSolutions-APIG1', 'AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-APIG6']) {
      Validations.of(restApi).acknowledge({ id, reason: "The platform's own API settings, not the construct's." });
    }

    const report = new AwsSolutionsChecks().validateScope(app);

    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('adds one route by method and path, reporting its resource, mode and usage tracking', () => {
    const { stack, authorizer, integration } = platformStack();

    authorizer.addRoute('post', '/orders/{id}/events', integration);

    expect(authorizer.routeFor('POST', '/orders/{id}/events')).toEqual(ORDERS[2]);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'events' });
  });

  it('refuses at synth time a route the authorizer would deny anyway', () => {
    const { authorizer, integration } = platformStack();

    expect(() => authorizer.addRoute('DELETE', '/orders/{id}', integration)).toThrow(
      "DELETE /orders/{id} is not in the authorizer's route table",
    );
  });

  it('defaults to the example routes and the function name keyward-<stage>-api-key-authorizer', () => {
    const { template } = protectedPlatform({ routes: undefined, name: undefined });

    template.resourceCountIs('AWS::ApiGateway::Method', EXAMPLE_ROUTES.length);
    expect(parseRoutes(environmentOf(template, 'keyward-prod-api-key-authorizer').ROUTE_TABLE as string)).toEqual(EXAMPLE_ROUTES);
  });

  it('caches decisions in API Gateway only when opted in, keyed by the key, the method and the route', () => {
    const { template } = protectedPlatform({ resultsCacheTtl: Duration.minutes(5) });

    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: 300,
      IdentitySource: 'method.request.header.x-api-key,context.httpMethod,context.resourcePath,context.identity.sourceIp',
    });
  });

  it('leaves a keyless request to API Gateway when the key must come in x-api-key (no invocation, Bearer fallback off)', () => {
    const { template } = protectedPlatform({ apiKeyHeaderOnly: true });

    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: 'method.request.header.x-api-key',
    });
  });

  it('reserves (and so caps) the concurrency of the function only when asked', () => {
    expect(functionProps(protectedPlatform().template, FUNCTION_NAME)).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(functionProps(protectedPlatform({ reservedConcurrency: 100 }).template, FUNCTION_NAME)).toMatchObject({
      ReservedConcurrentExecutions: 100,
    });
  });

  it("turns on the function's key cache when opted in, with its size", () => {
    const { template } = protectedPlatform({ keyCacheTtl: Duration.seconds(1), keyCacheMaxEntries: 5000 });

    expect(environmentOf(template, FUNCTION_NAME)).toMatchObject({ AUTHORIZER_KEY_CACHE_MS: '1000', AUTHORIZER_KEY_CACHE_ENTRIES: '5000' });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  it.each([
    ['a prefix', { keyPrefix: 'Acme' }, /^Platform\/Keys: invalid key configuration: KEY_PREFIX/],
    ['a route table', { routes: [{ ...ORDERS[0]!, method: 'get' }] }, /^Platform\/Keys: invalid routes configuration: ROUTE_TABLE/],
    [
      'a mode',
      { routes: [{ ...ORDERS[0]!, mode: 'write' }] },
      /^Platform\/Keys: GET \/orders has mode write, but its method makes it read$/,
    ],
    ['a key cache', { keyCacheTtl: Duration.minutes(2) }, /^Platform\/Keys: invalid hot key cache configuration: AUTHORIZER_KEY_CACHE_MS/],
    ['a key cache size', { keyCacheTtl: Duration.seconds(1), keyCacheMaxEntries: 0 }, /AUTHORIZER_KEY_CACHE_ENTRIES/],
  ])('fails the synth, naming the construct, on %s the function would not run with as given', (_what, props, message) => {
    expect(() => platformStack(props as Partial<ApiKeyAuthorizerProps>)).toThrow(message);
  });

  it('reads the table the platform passes, created in its own stack just as well as imported', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Owned');
    const table = new dynamodb.Table(stack, 'Keys', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const restApi = new apigw.RestApi(stack, 'Api');
    new ApiKeyAuthorizer(stack, 'Authorizer', { ...stageProps('dev'), restApi, table, keyPrefix: 'kw' }).addRoutes(
      new apigw.MockIntegration(),
    );

    const template = Template.fromStack(stack);
    const tableId = stack.getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
    expect(environmentOf(template, 'keyward-dev-api-key-authorizer')).toMatchObject({ TABLE_NAME: { Ref: tableId } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } }]),
      },
    });
  });
});
