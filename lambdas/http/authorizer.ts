import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEventHeaders } from 'aws-lambda';

/**
 * What both REQUEST authorizers (api-key and admin) read from API Gateway's event and answer it
 * with. Type-only imports: the api-key authorizer's bundle stays the DynamoDB client and the domain.
 */

/** A header's value, trimmed, by case-insensitive name; a blank value counts as absent. */
export function headerValue(headers: APIGatewayRequestAuthorizerEventHeaders | null, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The credential of an `Authorization: Bearer <credential>` value (scheme case-insensitive). */
export function bearerCredential(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/**
 * The api-key authorizer's identity sources when API Gateway's result cache is on, as API Gateway
 * writes them: the cache key is their values, so it holds everything a decision depends on (the
 * key, the method, the route as its resource path, and the caller's source IP, which a key's
 * `allowed_ips` judges: without it an Allow cached for one address would admit another). The CDK construct configures them and the
 * local gateway keys its emulated cache by them.
 */
export const CACHED_API_KEY_IDENTITY_SOURCES = [
  'method.request.header.x-api-key',
  'context.httpMethod',
  'context.resourcePath',
  'context.identity.sourceIp',
] as const;

/** API Gateway answers 401 (and never calls the backend) when a REQUEST authorizer throws exactly this. */
export function unauthorized(): Error {
  return new Error('Unauthorized');
}

/**
 * The execute-api ARN that covers every request to one route: the method ARN's API, stage and
 * method, then the route's resource template with each path parameter (`{id}`, `{proxy+}`) a
 * wildcard. `arn:…:abc123/prod/GET/v1/customers/42` on `/v1/customers/{id}` →
 * `arn:…:abc123/prod/GET/v1/customers/*`. A policy on it holds for every request that shares an
 * authorizer cache entry keyed by method and resource path, and its length does not grow with
 * the request's path (AWS takes a policy Resource of at most 512 characters).
 */
export function routeArn(methodArn: string, resource: string): string {
  const [api, stage, method] = methodArn.split('/', 3);
  return `${api}/${stage}/${method}${resource.replace(/\{[^}]*\}/g, '*')}`;
}

/** The IAM policy that allows or denies invoking the method, with the context API Gateway passes on. */
export function policy(
  effect: 'Allow' | 'Deny',
  principalId: string,
  resource: string,
  context: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context,
  };
}
