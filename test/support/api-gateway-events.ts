import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

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

/** A REST API (v1) Lambda proxy event, as API Gateway builds it. */
export function restProxyEvent(input: RestEventInput): APIGatewayProxyEvent {
  const pathParameters = input.pathParameters ?? {};
  const path = input.resource.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(pathParameters[name] ?? ''));
  const text = input.body === undefined || typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const body = text === undefined ? null : input.base64 ? Buffer.from(text, 'utf8').toString('base64') : text;
  const headers: Record<string, string> = {
    Host: 'api.example.test',
    'User-Agent': 'jest',
    ...(text !== undefined ? { 'Content-Type': 'application/json' } : {}),
    ...input.headers,
  };
  const query = input.query && Object.keys(input.query).length > 0 ? input.query : null;
  return {
    resource: input.resource,
    path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: Boolean(input.base64 && body !== null),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: input.authorizer === null ? undefined : { principalId: input.authorizer?.email ?? 'anonymous', ...input.authorizer },
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'jest',
        userArn: null,
      },
      path: `/test${path}`,
      stage: 'test',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: input.resource,
    },
  };
}

/** A Lambda context good enough for middy and the Powertools logger. */
export function lambdaContext(functionName = 'keyward-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A proxy result with its JSON body parsed, for assertions. */
export function parseResult<T = Record<string, unknown>>(result: APIGatewayProxyResult): {
  statusCode: number;
  headers: Record<string, string>;
  body: T;
} {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { statusCode: result.statusCode, headers, body: JSON.parse(result.body) as T };
}
