import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext as gatewayLambdaContext, proxyEvent } from '../../local/api-gateway-events';

/** What the admin authorizer puts in `requestContext.authorizer` (strings, as API Gateway passes them). */
export interface AdminAuthorizerContext {
  email?: string;
  role?: 'admin' | 'member' | 'none' | string;
}

export interface RestEventInput {
  method: string;
  /** The resource template, e.g. `/v1/organizations/{organization_id}/api_keys/{api_key_id}`. */
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  base64?: boolean;
  /** `null` for a request that reached the function without any authorizer context. */
  authorizer?: AdminAuthorizerContext | null;
}

/** A REST API (v1) Lambda proxy event behind the admin authorizer, with a JSON body when there is one. */
export function restProxyEvent(input: RestEventInput): APIGatewayProxyEvent {
  const text = input.body === undefined || typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const body = text === undefined ? null : input.base64 ? Buffer.from(text, 'utf8').toString('base64') : text;
  return proxyEvent({
    method: input.method,
    resource: input.resource,
    pathParameters: input.pathParameters,
    query: input.query,
    headers: {
      Host: 'api.example.test',
      'User-Agent': 'jest',
      ...(text !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...input.headers,
    },
    body,
    isBase64Encoded: Boolean(input.base64 && body !== null),
    authorizer:
      input.authorizer === null ? null : { principalId: input.authorizer?.email ?? 'anonymous', context: { ...input.authorizer } },
  });
}

/** A Lambda context good enough for middy and the Powertools logger. */
export function lambdaContext(functionName = 'keyward-test'): Context {
  return gatewayLambdaContext(functionName);
}

/** A proxy result with its JSON body parsed, for assertions. */
export function parseResult<T = Record<string, unknown>>(
  result: APIGatewayProxyResult,
): {
  statusCode: number;
  headers: Record<string, string>;
  body: T;
} {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { statusCode: result.statusCode, headers, body: JSON.parse(result.body) as T };
}
