import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventHeaders } from 'aws-lambda';
import { DynamoDbHttpClient } from './adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from './adapters/dynamodb-http/key-lookup';
import { withHotKeyCache } from './adapters/hot-key-cache';
import type { HotKey } from './domain/api-key';
import { countsAsUse, type Decision, decide, screenToken } from './domain/authorization';
import { type Clock, systemClock } from './domain/clock';
import type { HotKeyStore } from './domain/ports';
import { buildRouteTable, findRoute, type RouteDefinition } from './domain/routes';
import { bearerCredential, headerValue, policy, routeArn, unauthorized } from './http/authorizer';
import { type DecisionMetrics, decisionMetrics } from './observability/decision-metrics';
import { logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { fallbackUsageIdentifierConfig, hotKeyCacheConfig, keyConfig, routesConfig, tableConfig } from './runtime/config';

/**
 * The consumer-side authorizer (API.md §1, DESIGN.md "Authorizer hot path"): an API Gateway REST
 * REQUEST authorizer around the pure decision of domain/authorization.ts. Its import graph is kept
 * to the thin DynamoDB adapter (no AWS SDK) and the pure domain: no KMS, no management service,
 * because it is on every consumer request and is measured for cold start.
 */

/** `last_used_at` is written at most once per key per this window (API.md §1 "Last used"). */
export const USAGE_WRITE_INTERVAL_MS = 60_000;

export interface ApiKeyAuthorizerDeps {
  store: HotKeyStore;
  clock: Clock;
  keyPrefix: string;
  routes: readonly RouteDefinition[];
  /** Counts each decision (allow, deny by code, unauthorized by reason). @default none */
  metrics?: DecisionMetrics;
  /**
   * With plans, the usage identifier an Allow names when the key's hot item has none (an
   * organization `keyward migrate` has not reached yet): the stack's fallback in the default
   * plan's usage plan (`FALLBACK_USAGE_IDENTIFIER`), so API Gateway, which requires an API key on
   * every method, does not refuse it 403. @default none (no plans: no usage identifier needed)
   */
  fallbackUsageIdentifier?: string;
}

export type ApiKeyAuthorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** `x-api-key`, or `Authorization: Bearer <key>` as the fallback (API.md §1). */
export function tokenFrom(headers: APIGatewayRequestAuthorizerEventHeaders | null): string | undefined {
  return headerValue(headers, 'x-api-key') ?? bearerCredential(headerValue(headers, 'authorization'));
}

/**
 * The one place a decision becomes API Gateway's answer: a thrown 401, or a policy. The decision
 * depends on the key, the method and the route (the resource template), never on a path
 * parameter's value, so the policy covers the whole route (`…/GET/v1/customers/*`): with
 * API Gateway's result cache on (keyed by `x-api-key`, method and resource path, see
 * lib/constructs/api-key-authorizer.ts), the policy cached for `GET /v1/customers/1` is applied
 * to `GET /v1/customers/2` too, and must cover it.
 */
function answer(decision: Decision, event: APIGatewayRequestAuthorizerEvent, fallbackUsageIdentifier?: string): APIGatewayAuthorizerResult {
  const resource = routeArn(event.methodArn, event.resource);
  switch (decision.kind) {
    case 'unauthorized':
      throw unauthorized();
    case 'deny':
      if (decision.route === undefined && decision.code !== 'ip_not_allowed') {
        logger.warn('route not in the route table', {
          api_key_id: decision.key.apiKeyId,
          method: event.httpMethod,
          resource: event.resource,
        });
      }
      // The organization too: the access log attributes the denial to it, and usage counts it (API.md §9).
      return policy('Deny', decision.key.apiKeyId, resource, { code: decision.code, organization_id: decision.key.organizationId });
    case 'allow': {
      const allowed = policy('Allow', decision.key.apiKeyId, resource, {
        organization_id: decision.key.organizationId,
        api_key_id: decision.key.apiKeyId,
      });
      // API Gateway meters the request against the usage plan holding this key (apiKeySource AUTHORIZER);
      // an organization without its own yet shares the fallback, in the default plan's usage plan.
      const usageIdentifier = decision.key.usageIdentifier ?? fallbackUsageIdentifier;
      if (usageIdentifier !== undefined) allowed.usageIdentifierKey = usageIdentifier;
      return allowed;
    }
  }
}

/** Read the token → screen it (no I/O) → look the key up → `decide` → answer. */
export function createApiKeyAuthorizer(deps: ApiKeyAuthorizerDeps): ApiKeyAuthorizer {
  const table = buildRouteTable(deps.routes);

  async function recordUsage(key: HotKey, now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - USAGE_WRITE_INTERVAL_MS);
    if (key.lastUsedAt !== null && Date.parse(key.lastUsedAt) >= staleBefore.getTime()) return;
    try {
      await deps.store.recordUsage(key, now, staleBefore);
    } catch (error) {
      // Usage is bookkeeping: losing one write must never turn a decision around.
      logger.warn('could not record key usage', { api_key_id: key.apiKeyId, error });
    }
  }

  return async (event) => {
    const screened = screenToken(tokenFrom(event.headers), deps.keyPrefix);
    if (screened.kind === 'unauthorized') {
      deps.metrics?.record(screened);
      return answer(screened, event);
    }

    let key: HotKey | undefined;
    try {
      key = await deps.store.findByHash(screened.tokenHash);
    } catch (error) {
      // Rethrown, so API Gateway answers 500 rather than Allow (or a misleading 401) when the
      // table cannot be read, e.g. under throttling.
      logger.error('key lookup failed', { error });
      throw error;
    }
    const now = deps.clock.now();
    // The address API Gateway saw (the client's, not a forwarded header's): allowlists match on it.
    const decision = decide(key, findRoute(table, event.httpMethod, event.resource), now, event.requestContext?.identity?.sourceIp);
    if (countsAsUse(decision)) await recordUsage(decision.key, now);
    deps.metrics?.record(decision);
    return answer(decision, event, deps.fallbackUsageIdentifier);
  };
}

const table = tableConfig();
// The thin adapter, not the SDK: this function's cold start is on every consumer's path (docs/benchmarks.md).
const keyStore = new DynamoDbHttpKeyLookup(DynamoDbHttpClient.fromEnvironment(table.DYNAMODB_ENDPOINT), table.TABLE_NAME);
const keyCache = hotKeyCacheConfig();

export const handler: ApiKeyAuthorizer = createApiKeyAuthorizer({
  // Off by default: on, a revoked key keeps working for up to the TTL on each warm instance.
  store: keyCache.ttlMs > 0 ? withHotKeyCache(keyStore, { ...keyCache, clock: systemClock }) : keyStore,
  clock: systemClock,
  keyPrefix: keyConfig().keyPrefix,
  routes: routesConfig(),
  metrics: decisionMetrics(createMetrics()),
  fallbackUsageIdentifier: fallbackUsageIdentifierConfig(),
});
