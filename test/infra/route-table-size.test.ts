import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import { type RouteDefinition, serializeRoutes } from '../../lambdas/domain/routes';
import { COMPRESSED_ROUTE_TABLE_PREFIX, routesConfig } from '../../lambdas/runtime/config';
import { ApiKeyAuthorizer } from '../../lib/constructs/api-key-authorizer';
import { stageProps } from '../../lib/stage';
import { environmentOf } from './template-helpers';

/** Lambda's limit on all of a function's environment variables together, names and values. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** `count` distinct routes of a platform API: every catalog resource under eight path shapes. */
function platformRoutes(count: number): RouteDefinition[] {
  const shapes: [string, (plural: string) => string, boolean][] = [
    ['GET', (r) => `/v1/${r}`, true],
    ['POST', (r) => `/v1/${r}`, true],
    ['GET', (r) => `/v1/${r}/{${r}_id}`, true],
    ['PUT', (r) => `/v1/${r}/{${r}_id}`, true],
    ['DELETE', (r) => `/v1/${r}/{${r}_id}`, true],
    ['GET', (r) => `/v1/${r}/{${r}_id}/history`, false],
    ['POST', (r) => `/v1/${r}/{${r}_id}/actions/refresh`, true],
    ['PATCH', (r) => `/v1/${r}/{${r}_id}/metadata/{key}`, false],
  ];
  const routes = DEFAULT_RESOURCE_CATALOG.flatMap((resource) =>
    shapes.map(
      ([method, path, tracksUsage]): RouteDefinition => ({
        method,
        path: path(`${resource}s`),
        resource,
        mode: method === 'GET' || method === 'HEAD' ? 'read' : 'write',
        tracksUsage,
      }),
    ),
  );
  if (routes.length < count) throw new Error(`only ${routes.length} routes`);
  return routes.slice(0, count);
}

/**
 * The authorizer's variables for `routes`. Its methods are not added: 300 methods and their
 * resources exceed CloudFormation's 500 resources of one stack (a platform that large spreads its
 * API over stacks), while the function's table is the whole API's.
 */
function authorizerWith(routes: RouteDefinition[]) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Platform');
  const restApi = new apigw.RestApi(stack, 'PlatformApi', { restApiName: 'platform', cloudWatchRole: false });
  const authorizer = new ApiKeyAuthorizer(stack, 'Keys', {
    ...stageProps('prod'),
    restApi,
    table: dynamodb.Table.fromTableName(stack, 'KeywardTable', 'keyward-prod'),
    keyPrefix: 'acme',
    routes,
    name: 'platform-authorizer',
  });
  authorizer.addRoute(routes[0]!.method, routes[0]!.path, new apigw.MockIntegration());
  return environmentOf(Template.fromStack(stack), 'keyward-prod-platform-authorizer') as Record<string, string>;
}

const environmentSize = (environment: Record<string, string>) =>
  Object.entries(environment).reduce((size, [name, value]) => size + name.length + value.length, 0);

describe("the route table in the authorizer's environment (Lambda's 4 KB for all variables)", () => {
  it('carries 300 routes compressed, well within the limit, and the cold start reads back every route', () => {
    const routes = platformRoutes(300);
    // As plain JSON (the form before compression) the table alone is four times the limit.
    expect(serializeRoutes(routes).length).toBeGreaterThan(4 * LAMBDA_ENVIRONMENT_LIMIT);

    const environment = authorizerWith(routes);

    expect(environment.ROUTE_TABLE!.startsWith(COMPRESSED_ROUTE_TABLE_PREFIX)).toBe(true);
    expect(environmentSize(environment)).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT - 1024);
    expect(routesConfig(environment)).toEqual(routes);
  });

  it('keeps a small table as plain JSON, readable in the Lambda console', () => {
    const routes = platformRoutes(8);

    expect(authorizerWith(routes).ROUTE_TABLE).toBe(serializeRoutes(routes));
  });
});
