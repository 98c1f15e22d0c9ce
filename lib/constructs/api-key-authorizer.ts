import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  buildRouteTable,
  EXAMPLE_ROUTES,
  findRoute,
  type RouteDefinition,
  type RouteTable,
  serializeRoutes,
} from '../../lambdas/domain/routes';
import { GATEWAY_RESPONSES } from '../../lambdas/http/gateway-responses';

const JSON_HEADERS = { 'Content-Type': "'application/json'" };

/** Sets a gateway response to its API.md JSON body (API Gateway's own bodies differ). */
export function addJsonGatewayResponse(
  api: apigw.RestApiBase,
  id: string,
  type: apigw.ResponseType,
  answer: { status: number; body: string },
): apigw.GatewayResponse {
  return api.addGatewayResponse(id, {
    type,
    statusCode: String(answer.status),
    responseHeaders: JSON_HEADERS,
    templates: { 'application/json': answer.body },
  });
}

export interface ApiKeyAuthorizerProps {
  /**
   * The API to protect. It gets the gateway responses of API.md §1 (401, 403 with the code, 500
   * when the authorizer fails), and an undefined method or path answers 403 `route_not_allowed`.
   */
  readonly restApi: apigw.RestApiBase;
  /** The keyward authorizer function (`lambdas/api-key-authorizer.ts`), with its table rights. */
  readonly handler: lambda.IFunction;
  /**
   * The protected API's route table: method + path template → resource, mode, usage tracking.
   * Routes added with `addRoute` must be in it. When `handler` is a `lambda.Function`, the table
   * is passed to it as `ROUTE_TABLE`, so the function decides with exactly these routes (it
   * denies, failing closed, any route it does not know); for an imported function, set
   * `ROUTE_TABLE` to `serializeRoutes(routes)` yourself.
   * @default EXAMPLE_ROUTES
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Opt-in result cache. While a decision is cached, a deleted or instantly rotated key keeps
   * working, and a permission change is not seen, for up to this long: revocation lags by the
   * TTL (API.md §1 allows it only when an operator turns it on). With a cache, the key must come
   * in `x-api-key` (the `Authorization: Bearer` fallback is then answered 401 by API Gateway),
   * and the cache is keyed by key, method and resource path so one route's decision is never
   * reused for another. At most one hour.
   * @default Duration.seconds(0): no cache, every request is decided by the authorizer
   */
  readonly resultsCacheTtl?: Duration;
  /** @default the construct's unique id */
  readonly authorizerName?: string;
}

/**
 * The consumer-side authorizer (API.md §1) for any `RestApi`: a REQUEST authorizer on
 * `x-api-key`, the 401/403 bodies of API.md §1 as gateway responses, and `addRoute`/`addRoutes`
 * to create methods from the same route table the runtime decides with.
 */
export class ApiKeyAuthorizer extends Construct {
  readonly authorizer: apigw.RequestAuthorizer;
  readonly restApi: apigw.RestApiBase;
  private readonly routeTable: RouteTable;
  private readonly routes: readonly RouteDefinition[];

  constructor(scope: Construct, id: string, props: ApiKeyAuthorizerProps) {
    super(scope, id);
    this.restApi = props.restApi;
    this.routes = props.routes ?? EXAMPLE_ROUTES;
    this.routeTable = buildRouteTable(this.routes);
    if (props.routes && props.handler instanceof lambda.Function) {
      props.handler.addEnvironment('ROUTE_TABLE', serializeRoutes(this.routes));
    }

    const ttl = props.resultsCacheTtl ?? Duration.seconds(0);
    const cached = ttl.toSeconds() > 0;
    this.authorizer = new apigw.RequestAuthorizer(this, 'Authorizer', {
      handler: props.handler,
      authorizerName: props.authorizerName,
      resultsCacheTtl: ttl,
      // Uncached, no identity source: the function itself reads `x-api-key` or the Bearer
      // fallback, and answers 401 for a missing key. Cached, the cache key must hold everything
      // the decision depends on: the key, the method and the route.
      identitySources: cached
        ? [
            apigw.IdentitySource.header('x-api-key'),
            apigw.IdentitySource.context('httpMethod'),
            apigw.IdentitySource.context('resourcePath'),
          ]
        : [],
    });

    addJsonGatewayResponse(this.restApi, 'Unauthorized', apigw.ResponseType.UNAUTHORIZED, GATEWAY_RESPONSES.unauthorized);
    addJsonGatewayResponse(this.restApi, 'AccessDenied', apigw.ResponseType.ACCESS_DENIED, GATEWAY_RESPONSES.accessDenied);
    addJsonGatewayResponse(this.restApi, 'AuthorizerFailure', apigw.ResponseType.AUTHORIZER_FAILURE, GATEWAY_RESPONSES.authorizerFailure);
    addJsonGatewayResponse(
      this.restApi,
      'AuthorizerConfigurationError',
      apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
      GATEWAY_RESPONSES.authorizerFailure,
    );
    // A method or path the API does not define is denied like a route outside the route table.
    addJsonGatewayResponse(
      this.restApi,
      'RouteNotFound',
      apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      GATEWAY_RESPONSES.protectedRouteNotFound,
    );
  }

  /**
   * Adds one protected method. Throws at synth time when the route is not in the route table,
   * rather than deploying a method whose every request would be denied.
   */
  addRoute(method: string, path: string, integration: apigw.Integration, options: apigw.MethodOptions = {}): apigw.Method {
    const route = findRoute(this.routeTable, method, path);
    if (!route) throw new Error(`${method.toUpperCase()} ${path} is not in the authorizer's route table`);
    return this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
      ...options,
      authorizationType: apigw.AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
    });
  }

  /** Adds every route of the route table, all served by `integration`. */
  addRoutes(integration: apigw.Integration, options: apigw.MethodOptions = {}): apigw.Method[] {
    return this.routes.map((route) => this.addRoute(route.method, route.path, integration, options));
  }

  /** The route table entry (resource, mode, usage tracking) for a method, or undefined. */
  routeFor(method: string, path: string): RouteDefinition | undefined {
    return findRoute(this.routeTable, method, path);
  }
}
