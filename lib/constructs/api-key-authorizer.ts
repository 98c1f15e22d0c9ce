import { createHash } from 'node:crypto';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PlansConfig } from '../../lambdas/domain/plans';
import { buildRouteTable, EXAMPLE_ROUTES, findRoute, type RouteDefinition, type RouteTable } from '../../lambdas/domain/routes';
import { CACHED_API_KEY_IDENTITY_SOURCES } from '../../lambdas/http/authorizer';
import { encodeRouteTable, hotKeyCacheConfig, keyConfig, ROUTE_TABLE_MAX_CHARS, routesConfig } from '../../lambdas/runtime/config';
import { USAGE_WRITE_ATTRIBUTES } from '../../lambdas/table/layout';
import { type StageProps, stageOf } from '../stage';
import { addContractGatewayResponses } from './contract-gateway-responses';
import { KeywardFunction } from './keyward-function';

export interface ApiKeyAuthorizerProps extends StageProps {
  /**
   * The API to protect. It gets every gateway response type in the shape of API.md §1 (401, 403
   * with the code, 429 throttled, 500 when the authorizer fails, …), and an undefined method or
   * path answers 403 `route_not_allowed`. Add no gateway response of your own to it.
   */
  readonly restApi: apigw.RestApiBase;
  /**
   * keyward's table (`KeywardTable`, or `Table.fromTableName(this, 'Keys', <the stage's TableName output>)`
   * in another stack). The function may read any item and write nothing but `last_used_at`.
   */
  readonly table: dynamodb.ITable;
  /**
   * The token prefix of the stage's keys (its `keyPrefix` context, API.md §2). A key with another
   * prefix is rejected as malformed without a read, so this must match the stage that issues them.
   */
  readonly keyPrefix: string;
  /**
   * The protected API's route table: method + path template → resource, mode (`read` for GET
   * and HEAD, `write` otherwise), usage tracking. The function gets it as `ROUTE_TABLE` and
   * denies, failing closed, any route not in it; `addRoute` refuses a route not in it.
   * @default EXAMPLE_ROUTES (the example protected API's)
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * API Gateway's result cache. While a decision is cached, a deleted or instantly rotated key
   * keeps working, and a permission change is not seen, for up to this long: revocation lags by
   * the TTL (API.md §1 allows it only when an operator turns it on). With a cache, the key must
   * come in `x-api-key` (the `Authorization: Bearer` fallback is then answered 401 by API
   * Gateway), and the cache is keyed by key, method and resource path so one route's decision is
   * never reused for another. At most one hour.
   * @default Duration.seconds(0): no cache, every request is decided by the function
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * Whether the key must come in `x-api-key` (the authorizer's identity source). API Gateway then
   * answers a request without that header 401 itself (the contract's body) without invoking the
   * function: a keyless flood costs no Lambda invocation and no concurrency. The
   * `Authorization: Bearer` fallback of API.md §1 is then off. A cached authorizer always works so.
   * @default false: every request invokes the function, which reads `x-api-key` or the Bearer fallback
   */
  readonly apiKeyHeaderOnly?: boolean;
  /**
   * Concurrency reserved for the function, which is also its cap: a flood of requests on the
   * protected API can take no more than this from the account's concurrency, so the management
   * functions and the notifier keep theirs, and the authorizer always has this much. Requests over
   * it are throttled by Lambda, and API Gateway answers them 500 `internal_error`.
   * @default none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * The function's in-memory cache of found keys (`AUTHORIZER_KEY_CACHE_MS`): each warm instance
   * reuses a key it read for this long, so revocation and permission changes lag by up to this
   * per instance. Unknown keys are never cached, and every route is still decided afresh. It
   * spares a hot key's partition (3,000 strongly consistent reads per second) and keeps the
   * Bearer fallback. At most 60 seconds.
   * @default Duration.millis(0): off, every request reads the table
   */
  readonly keyCacheTtl?: Duration;
  /**
   * How many keys one warm instance caches at most (`AUTHORIZER_KEY_CACHE_ENTRIES`, least
   * recently used evicted); used only with `keyCacheTtl`.
   * @default 1000
   */
  readonly keyCacheMaxEntries?: number;
  /**
   * The function's physical name is `keyward-<stage>-<name>` (its log group likewise). Give each
   * authorizer in one account, region and stage its own, e.g. next to keyward's example API.
   * @default 'api-key-authorizer'
   */
  readonly name?: string;
  /** The authorizer's name in API Gateway. @default the construct's unique id */
  readonly authorizerName?: string;
  /**
   * The deployment's plans (API.md §9), enforced by API Gateway: one usage plan per plan (its
   * `rate`, `burst` and quota) on the API's deployment stage, the API's key source set to
   * `AUTHORIZER`, and every method added by `addRoute` requiring an API key, which the authorizer
   * names as `usageIdentifierKey` (the organization's usage identifier, from the hot item). API
   * Gateway then answers 429 `throttled` / `quota_exceeded` before the backend. An organization
   * without its own identifier yet (until `keyward migrate` gives it one) is named the fallback
   * identifier, in the default plan's usage plan: its requests pass, limited together with the
   * other organizations not migrated yet.
   * @default none: no usage plans, methods need no API key
   */
  readonly plans?: PlansConfig;
}

const QUOTA_PERIOD = { day: apigw.Period.DAY, week: apigw.Period.WEEK, month: apigw.Period.MONTH } as const;

/**
 * The consumer-side authorizer (API.md §1) for any `RestApi`, in one construct: the keyward
 * authorizer function (`lambdas/api-key-authorizer.ts`) with its configuration and least-privilege
 * table rights, a REQUEST authorizer, the API.md error bodies as gateway responses, and
 * `addRoute`/`addRoutes` to create methods from the same route table the function decides with.
 */
export class ApiKeyAuthorizer extends Construct {
  readonly authorizer: apigw.RequestAuthorizer;
  /** The authorizer function, e.g. for alarms on its errors and duration. */
  readonly handler: KeywardFunction;
  readonly restApi: apigw.RestApiBase;
  private readonly routeTable: RouteTable;
  private readonly routes: readonly RouteDefinition[];
  /** One usage plan per plan name (empty without `plans`), e.g. to give `keyward org set-plan` their ids. */
  readonly usagePlans: Readonly<Record<string, apigw.UsagePlan>> = {};
  /** With plans, the API key the authorizer names for organizations without a usage identifier of their own. */
  readonly fallbackUsageIdentifier?: apigw.ApiKey;
  private readonly apiKeyRequired: boolean;

  constructor(scope: Construct, id: string, props: ApiKeyAuthorizerProps) {
    super(scope, id);
    this.restApi = props.restApi;
    this.routes = props.routes ?? EXAMPLE_ROUTES;
    this.routeTable = buildRouteTable(this.routes);

    this.handler = new KeywardFunction(this, 'Function', {
      ...stageOf(props),
      entry: 'api-key-authorizer',
      name: props.name,
      description: 'Decides consumer requests by their x-api-key',
      environment: this.functionEnvironment(props),
      reservedConcurrentExecutions: props.reservedConcurrency,
      // On every consumer request: traced only when the stage sampled the request (tracing on the
      // consumer API, off by default), never by the function's own sampling.
      tracing: lambda.Tracing.PASS_THROUGH,
    });
    // No source-mapped stacks at run time (docs/benchmarks.md): they make each 401's error stack
    // 2.5× as costly to build, and buy nothing here, where a failure is a typed DynamoDB error
    // whose code and message say what failed.
    (this.handler.node.defaultChild as lambda.CfnFunction).addPropertyDeletionOverride('Environment.Variables.NODE_OPTIONS');
    this.handler.bindTable(props.table, ['GetItem']);
    // What the usage write may touch. The usage write (adapters/dynamodb/hot-key-requests.ts) is one
    // UpdateItem of the hot item that SETs `last_used_at`, conditioned on `pk` and `last_used_at`.
    // IAM authorizes it as `dynamodb:UpdateItem` with every attribute it names in
    // `dynamodb:Attributes`, the key attributes included. The infra test
    // drives the real handler and checks every request it sends against the role.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...USAGE_WRITE_ATTRIBUTES] } },
      }),
    );

    const ttl = props.resultsCacheTtl ?? Duration.seconds(0);
    const cached = ttl.toSeconds() > 0;
    this.authorizer = new apigw.RequestAuthorizer(this, 'Authorizer', {
      handler: this.handler,
      authorizerName: props.authorizerName,
      resultsCacheTtl: ttl,
      // Uncached, no identity source: the function itself reads `x-api-key` or the Bearer
      // fallback, and answers 401 for a missing key. Header only, API Gateway answers that 401.
      // Cached, the cache key must hold everything the decision depends on: the key, the method
      // and the route (resource path, not the concrete path). The function's policy covers the
      // whole route (`…/GET/v1/customers/*`), since the entry cached for one id is applied to
      // every other id of that route.
      identitySources: cached
        ? [...CACHED_API_KEY_IDENTITY_SOURCES]
        : props.apiKeyHeaderOnly
          ? [apigw.IdentitySource.header('x-api-key')]
          : [],
    });

    // Every gateway response of the API in the contract's shape; an undefined method or path is
    // denied like a route outside the route table (403 route_not_allowed).
    addContractGatewayResponses(this.restApi, 'protected');

    this.apiKeyRequired = props.plans !== undefined;
    if (props.plans) {
      this.usagePlans = this.addUsagePlans(props.plans, stageOf(props).stage);
      this.fallbackUsageIdentifier = this.addFallbackUsageIdentifier(this.usagePlans[props.plans.default_plan]!);
    }
  }

  /**
   * The fallback usage identifier: an API key in the default plan's usage plan that the function
   * names (`FALLBACK_USAGE_IDENTIFIER`) for an organization whose hot items carry no identifier of
   * its own, between a deploy that turns plans on and `keyward migrate`. Without it, every method
   * requiring an API key, API Gateway would refuse each of their requests 403: an outage after a
   * routine upgrade. Meanwhile they share the default plan's limits (one bucket, one quota).
   *
   * Its value is fixed (derived from the stack name and the construct's path, so a redeploy keeps
   * it and two stacks of an account never collide) and not secret: it is in the template and the
   * function's environment. That is safe because it is never accepted from a client: the API's key
   * source is AUTHORIZER, so API Gateway takes the key only from the authorizer's
   * `usageIdentifierKey`, never from `x-api-key`; knowing it lets nobody in, it only decides which
   * usage plan meters a request the authorizer has already allowed.
   */
  private addFallbackUsageIdentifier(usagePlan: apigw.UsagePlan): apigw.ApiKey {
    const stackName = Stack.of(this).stackName;
    const seed = `${Token.isUnresolved(stackName) ? '' : stackName}/${this.node.path}`;
    const value = `keyward-fallback-${createHash('sha256').update(seed).digest('hex').slice(0, 40)}`;
    const key = new apigw.ApiKey(this, 'FallbackUsageIdentifier', {
      description: 'keyward: the usage identifier of organizations without their own yet (never a credential; see keyward migrate)',
      value,
      enabled: true,
    });
    usagePlan.addApiKey(key);
    this.handler.addEnvironment('FALLBACK_USAGE_IDENTIFIER', value);
    return key;
  }

  /**
   * The plans as API Gateway usage plans on the API's stage, and the API's key source switched to
   * the authorizer's `usageIdentifierKey` (keys never travel in a header API Gateway reads).
   */
  private addUsagePlans(plans: PlansConfig, stage: string): Record<string, apigw.UsagePlan> {
    const restApi = this.restApi.node.defaultChild as apigw.CfnRestApi | undefined;
    if (!restApi) throw new Error(`${this.node.path}: plans need a RestApi defined in this app (its key source is set to AUTHORIZER)`);
    restApi.apiKeySourceType = 'AUTHORIZER';
    const usagePlans: Record<string, apigw.UsagePlan> = {};
    for (const [name, plan] of Object.entries(plans.plans)) {
      usagePlans[name] = new apigw.UsagePlan(this, `Plan-${name}`, {
        name: `keyward-${stage}-${name}`,
        description: `keyward plan ${name}${name === plans.default_plan ? ' (the default)' : ''}`,
        throttle: { rateLimit: plan.rate, burstLimit: plan.burst },
        ...(plan.quota ? { quota: { limit: plan.quota.limit, period: QUOTA_PERIOD[plan.quota.period] } } : {}),
        apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      });
    }
    return usagePlans;
  }

  /**
   * The function's variables, checked here with the parsers its cold start runs: a bad prefix,
   * route table or cache setting fails the synth instead of every request.
   */
  private functionEnvironment(props: ApiKeyAuthorizerProps): Record<string, string> {
    const keyCacheMs = (props.keyCacheTtl ?? Duration.millis(0)).toMilliseconds();
    const environment: Record<string, string> = {
      KEY_PREFIX: props.keyPrefix,
      ROUTE_TABLE: encodeRouteTable(this.routes),
      ...(keyCacheMs > 0 ? { AUTHORIZER_KEY_CACHE_MS: String(keyCacheMs) } : {}),
      ...(keyCacheMs > 0 && props.keyCacheMaxEntries !== undefined
        ? { AUTHORIZER_KEY_CACHE_ENTRIES: String(props.keyCacheMaxEntries) }
        : {}),
    };
    try {
      if (environment.ROUTE_TABLE!.length > ROUTE_TABLE_MAX_CHARS) {
        throw new Error(
          `the route table of ${this.routes.length} routes takes ${environment.ROUTE_TABLE!.length} characters compressed, over the ${ROUTE_TABLE_MAX_CHARS} it may take of Lambda's 4 KB of variables: split the API, or share resources between routes`,
        );
      }
      keyConfig(environment);
      hotKeyCacheConfig(environment);
      // `ROUTE_TABLE` carries no mode: the function derives it from the method.
      const decided = routesConfig(environment);
      this.routes.forEach((route, index) => {
        const mode = decided[index]?.mode;
        if (route.mode !== mode) throw new Error(`${route.method} ${route.path} has mode ${route.mode}, but its method makes it ${mode}`);
      });
    } catch (error) {
      throw new Error(`${this.node.path}: ${(error as Error).message}`);
    }
    return environment;
  }

  /**
   * Adds one protected method. Throws at synth time when the route is not in the route table,
   * rather than deploying a method whose every request would be denied.
   */
  addRoute(method: string, path: string, integration: apigw.Integration, options: apigw.MethodOptions = {}): apigw.Method {
    const route = findRoute(this.routeTable, method, path);
    if (!route) throw new Error(`${method.toUpperCase()} ${path} is not in the authorizer's route table`);
    const added = this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
      ...options,
      authorizationType: apigw.AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
      // With plans, API Gateway meters the request against the usage plan of the key the authorizer names.
      ...(this.apiKeyRequired ? { apiKeyRequired: true } : {}),
    });
    Validations.of(added).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: "An API key is checked by keyward's Lambda REQUEST authorizer, which a Cognito authorizer cannot do.",
    });
    return added;
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
