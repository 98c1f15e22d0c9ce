import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventHeaders } from 'aws-lambda';
import { DynamoDbHttpClient } from './adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from './adapters/dynamodb-http/key-lookup';
import { withHotKeyCache } from './adapters/hot-key-cache';
import { hotKeyCacheConfig, keyConfig, routesConfig, tableConfig } from './config';
import { type HotKey, isExpired } from './domain/api-key';
import { type Clock, systemClock } from './domain/clock';
import { allows, forbiddenCode } from './domain/permissions';
import type { KeyLookup } from './domain/ports';
import { buildRouteTable, findRoute, type RouteDefinition } from './domain/routes';
import { hashToken, isWellFormedToken } from './domain/token';
import { logger } from './logger';

/**
 * The consumer-side authorizer (API.md §1, DESIGN.md "Authorizer hot path"): an API Gateway REST
 * REQUEST authorizer. Its import graph is kept to the DynamoDB client and the pure domain: no KMS,
 * no management service, because it is on every consumer request and is measured for cold start.
 */

/** `last_used_at` is written at most once per key per this window (API.md §1 "Last used"). */
export const USAGE_WRITE_INTERVAL_MS = 60_000;

/** The code in the Deny context when the route is not in the route table (fail closed). */
export const ROUTE_NOT_ALLOWED = 'route_not_allowed';

export interface ApiKeyAuthorizerDeps {
  store: KeyLookup;
  clock: Clock;
  keyPrefix: string;
  routes: readonly RouteDefinition[];
}

export type ApiKeyAuthorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** API Gateway answers 401 (and never calls the backend) when a REQUEST authorizer throws exactly this. */
function unauthorized(): Error {
  return new Error('Unauthorized');
}

function header(headers: APIGatewayRequestAuthorizerEventHeaders | null, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** `x-api-key`, or `Authorization: Bearer <key>` as the fallback (API.md §1). */
export function tokenFrom(headers: APIGatewayRequestAuthorizerEventHeaders | null): string | undefined {
  const apiKey = header(headers, 'x-api-key');
  if (apiKey !== undefined) return apiKey;
  const authorization = header(headers, 'authorization');
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

function policy(
  effect: 'Allow' | 'Deny',
  principalId: string,
  methodArn: string,
  context: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
    },
    context,
  };
}

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
    const token = tokenFrom(event.headers);
    // Pure CPU before any I/O: a mistyped or forged key costs no read unit.
    if (token === undefined || !isWellFormedToken(token, deps.keyPrefix)) throw unauthorized();

    let key: HotKey | undefined;
    try {
      key = await deps.store.findByHash(hashToken(token));
    } catch (error) {
      // Rethrown, so API Gateway answers 500 rather than Allow (or a misleading 401) when the
      // table cannot be read, e.g. under throttling.
      logger.error('key lookup failed', { error });
      throw error;
    }
    const now = deps.clock.now();
    if (!key || isExpired(key.expiresAt, now)) throw unauthorized();

    const route = findRoute(table, event.httpMethod, event.resource);
    if (!route) {
      logger.warn('route not in the route table', { api_key_id: key.apiKeyId, method: event.httpMethod, resource: event.resource });
      return policy('Deny', key.apiKeyId, event.methodArn, { code: ROUTE_NOT_ALLOWED });
    }

    if (route.tracksUsage) await recordUsage(key, now);

    if (!allows(key.permissions, route.resource, route.mode)) {
      return policy('Deny', key.apiKeyId, event.methodArn, { code: forbiddenCode(route.resource, route.mode) });
    }
    return policy('Allow', key.apiKeyId, event.methodArn, {
      organization_id: key.organizationId,
      api_key_id: key.apiKeyId,
    });
  };
}

const table = tableConfig();
// The thin adapter, not the SDK: this function's cold start is on every consumer's path (README "Benchmarks").
const keyStore = new DynamoDbHttpKeyLookup(DynamoDbHttpClient.fromEnvironment(table.DYNAMODB_ENDPOINT), table.TABLE_NAME);
const keyCache = hotKeyCacheConfig();

export const handler: ApiKeyAuthorizer = createApiKeyAuthorizer({
  // Off by default: on, a revoked key keeps working for up to the TTL on each warm instance.
  store: keyCache.ttlMs > 0 ? withHotKeyCache(keyStore, { ...keyCache, clock: systemClock }) : keyStore,
  clock: systemClock,
  keyPrefix: keyConfig().keyPrefix,
  routes: routesConfig(),
});
