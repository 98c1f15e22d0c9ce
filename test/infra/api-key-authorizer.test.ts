import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EXAMPLE_ROUTES, parseRoutes, type RouteDefinition } from '../../lambdas/domain/routes';
import { ApiKeyAuthorizer } from '../../lib/constructs/api-key-authorizer';

/** A platform's own stack: its own RestApi and backend, keyward's authorizer function imported by ARN. */
function platformStack(props: { resultsCacheTtl?: Duration; routes?: readonly RouteDefinition[] } = {}) {
  const stack = new Stack(new App(), 'Platform', { env: { account: '111122223333', region: 'eu-west-1' } });
  const restApi = new apigw.RestApi(stack, 'PlatformApi', { restApiName: 'platform' });
  const handler = lambda.Function.fromFunctionArn(
    stack,
    'KeywardAuthorizer',
    'arn:aws:lambda:eu-west-1:111122223333:function:keyward-prod-api-key-authorizer',
  );
  const backend = new lambda.Function(stack, 'Backend', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" });'),
  });
  const authorizer = new ApiKeyAuthorizer(stack, 'Keys', { restApi, handler, ...props });
  return { stack, restApi, authorizer, integration: new apigw.LambdaIntegration(backend) };
}

describe('ApiKeyAuthorizer on a user-provided RestApi', () => {
  it('protects every route of the route table with an uncached REQUEST authorizer and the API.md error bodies', () => {
    const { stack, authorizer, integration } = platformStack();

    authorizer.addRoutes(integration);

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    template.resourceCountIs('AWS::ApiGateway::Method', EXAMPLE_ROUTES.length);
    template.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'CUSTOM', AuthorizerId: Match.anyValue() });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseTemplates: { 'application/json': '{"status":401,"error":"Unauthorized"}' },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseTemplates: { 'application/json': '{"status":403,"error":"Forbidden","code":"$context.authorizer.code"}' },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: 'arn:aws:lambda:eu-west-1:111122223333:function:keyward-prod-api-key-authorizer',
    });
  });

  it('adds one route by method and path, reporting its resource, mode and usage tracking', () => {
    const { stack, authorizer, integration } = platformStack();

    authorizer.addRoute('post', '/v1/events', integration);

    expect(authorizer.routeFor('POST', '/v1/events')).toEqual({
      method: 'POST',
      path: '/v1/events',
      resource: 'event',
      mode: 'write',
      tracksUsage: false,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'events' });
  });

  it('refuses at synth time a route the authorizer would deny anyway', () => {
    const { authorizer, integration } = platformStack();

    expect(() => authorizer.addRoute('PATCH', '/v1/customers/{id}', integration)).toThrow(
      "PATCH /v1/customers/{id} is not in the authorizer's route table",
    );
  });

  it("takes the platform's own route table", () => {
    const routes: RouteDefinition[] = [{ method: 'GET', path: '/orders', resource: 'order', mode: 'read', tracksUsage: true }];
    const { stack, authorizer, integration } = platformStack({ routes });

    authorizer.addRoutes(integration);

    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
  });

  it('hands its route table to a keyward authorizer function it owns, as ROUTE_TABLE', () => {
    const stack = new Stack(new App(), 'Owned');
    const restApi = new apigw.RestApi(stack, 'Api');
    const handler = new lambda.Function(stack, 'Authorizer', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    const routes: RouteDefinition[] = [{ method: 'POST', path: '/orders', resource: 'order', mode: 'write', tracksUsage: false }];

    new ApiKeyAuthorizer(stack, 'Keys', { restApi, handler, routes }).addRoutes(new apigw.MockIntegration());

    const variables = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const table = Object.values(variables)[0]!.Properties.Environment.Variables.ROUTE_TABLE as string;
    expect(parseRoutes(table)).toEqual(routes);
  });

  it('caches only when opted in, keyed by the key, the method and the route', () => {
    const { stack, authorizer, integration } = platformStack({ resultsCacheTtl: Duration.minutes(5) });
    authorizer.addRoutes(integration);

    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: 300,
      IdentitySource: 'method.request.header.x-api-key,context.httpMethod,context.resourcePath',
    });
  });
});
