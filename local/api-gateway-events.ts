import { randomUUID } from 'node:crypto';
import type {
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';

/**
 * The one place that builds API Gateway REST (v1) events as API Gateway builds them: the REQUEST
 * authorizer event, the Lambda proxy event and a Lambda context. The local gateway passes what it
 * received; tests pass what they need and take the defaults for the rest. Pure: nothing here reads
 * a socket, a file or the environment.
 */

/** Which deployed API an event claims to come from (the parts of its execute-api ARN). */
export interface ApiTarget {
  region: string;
  accountId: string;
  apiId: string;
  stage: string;
}

/** The local gateway's API: an account id that cannot be mistaken for a real deployment. */
export const LOCAL_API: ApiTarget = { region: 'us-east-1', accountId: '000000000000', apiId: 'local', stage: 'local' };

/** Name/value pairs (re-iterable: `URLSearchParams`, an array of header pairs) or a record of single values. */
export type ValuePairs = Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

export interface RequestInput {
  method: string;
  /** The matched resource template, e.g. `/v1/customers/{id}`. */
  resource: string;
  /** The request path without the stage; by default `resource` with `pathParameters` filled in. */
  path?: string;
  /** As sent, still percent-encoded (API Gateway REST does not decode them): `c%2042`. */
  pathParameters?: Readonly<Record<string, string>> | null;
  /** In arrival order, original casing; a repeated name keeps its last value in `headers`. */
  headers?: ValuePairs;
  query?: ValuePairs;
  api?: ApiTarget;
  requestId?: string;
  /** When API Gateway received the request. */
  requestTime?: Date;
  sourceIp?: string;
  /** By default the `User-Agent` header, as API Gateway copies it. */
  userAgent?: string | null;
  domainName?: string;
  domainPrefix?: string;
  protocol?: string;
}

export interface ProxyInput extends RequestInput {
  body?: string | null;
  isBase64Encoded?: boolean;
  /**
   * What the authorizer allowed with, and how long it took (0 when answered from the result
   * cache); `null` for a request that reached the function without one.
   */
  authorizer?: { principalId: string; context?: Readonly<Record<string, unknown>>; integrationLatency?: number } | null;
}

export type RequestContext = APIGatewayEventRequestContextWithAuthorizer<undefined>;

function entriesOf(values: ValuePairs | undefined): Iterable<readonly [string, string]> {
  if (values === undefined) return [];
  return Symbol.iterator in values ? (values as Iterable<readonly [string, string]>) : Object.entries(values);
}

/**
 * A single-value map (last value wins) and its multi-value twin, as API Gateway builds both. Any
 * name is a name: the maps have no prototype, so `__proto__`, `constructor` or `toString` is an
 * entry like any other (issue 16 item 3), as in the JSON a Lambda function receives.
 */
export function valueMaps(values: ValuePairs | undefined): { single: Record<string, string>; multi: Record<string, string[]> } {
  const single: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  for (const [name, value] of entriesOf(values)) {
    single[name] = value;
    if (Object.hasOwn(multi, name)) multi[name]!.push(value);
    else multi[name] = [value];
  }
  return { single, multi };
}

/** Node's `rawHeaders` (`[name, value, name, value, …]`) as pairs, original casing kept. */
export function rawHeaderPairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return pairs;
}

/** `/v1/customers/{id}` with `{id: 'c%2042'}` (as sent) → `/v1/customers/c%2042`. */
export function concretePath(resource: string, pathParameters: Readonly<Record<string, string>> | null | undefined): string {
  return resource.replace(/\{([^}]+)\}/g, (_, name: string) =>
    pathParameters && Object.hasOwn(pathParameters, name) ? pathParameters[name]! : '',
  );
}

export function methodArn(method: string, path: string, api: ApiTarget = LOCAL_API): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${method}${path}`;
}

function pathOf(input: RequestInput): string {
  return input.path ?? concretePath(input.resource, input.pathParameters);
}

function userAgentOf(headers: ValuePairs | undefined): string | null {
  let userAgent: string | null = null;
  for (const [name, value] of entriesOf(headers)) if (name.toLowerCase() === 'user-agent') userAgent = value;
  return userAgent;
}

/** `requestContext` without an authorizer, as an authorizer receives it. */
export function requestContext(input: RequestInput): RequestContext {
  const api = input.api ?? LOCAL_API;
  const requestId = input.requestId ?? randomUUID();
  const requestTime = input.requestTime ?? new Date();
  const userAgent = input.userAgent !== undefined ? input.userAgent : userAgentOf(input.headers);
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    authorizer: undefined,
    domainName: input.domainName ?? '127.0.0.1',
    domainPrefix: input.domainPrefix ?? '127',
    extendedRequestId: requestId,
    httpMethod: input.method,
    path: `/${api.stage}${pathOf(input)}`,
    protocol: input.protocol ?? 'HTTP/1.1',
    requestId,
    requestTime: requestTime.toUTCString(),
    requestTimeEpoch: requestTime.getTime(),
    resourceId: input.resource,
    resourcePath: input.resource,
    stage: api.stage,
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
      sourceIp: input.sourceIp ?? '127.0.0.1',
      user: null,
      userAgent,
      userArn: null,
    },
  };
}

/**
 * The parts an authorizer event and a proxy event share. Path parameters are as sent; without any,
 * the REQUEST authorizer gets `{}` and the function `null`, as in AWS's documented samples
 * (test/support/aws-sample-events.ts).
 */
function requestParts(input: RequestInput, noPathParameters: Record<string, string> | null) {
  const headers = valueMaps(input.headers);
  const query = valueMaps(input.query);
  const hasQuery = Object.keys(query.single).length > 0;
  const hasPathParameters = input.pathParameters && Object.keys(input.pathParameters).length > 0;
  return {
    resource: input.resource,
    path: pathOf(input),
    httpMethod: input.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    pathParameters: hasPathParameters ? Object.assign(Object.create(null), input.pathParameters) : noPathParameters,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
    stageVariables: null,
  };
}

/** The REQUEST authorizer event. */
export function authorizerEvent(input: RequestInput): APIGatewayRequestAuthorizerEvent {
  const parts = requestParts(input, {});
  return {
    type: 'REQUEST',
    methodArn: methodArn(input.method, parts.path, input.api),
    ...parts,
    requestContext: requestContext(input),
  };
}

/**
 * The Lambda proxy event. Behind a Lambda authorizer, `requestContext.authorizer` holds its context
 * with every value a string (`1` → `"1"`, `true` → `"true"`), its `principalId`, and
 * `integrationLatency` in milliseconds, as API Gateway REST passes them.
 */
export function proxyEvent(input: ProxyInput): APIGatewayProxyEvent {
  const { authorizer } = input;
  return {
    ...requestParts(input, null),
    body: input.body ?? null,
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      ...requestContext(input),
      authorizer: authorizer
        ? {
            ...stringValues(authorizer.context ?? {}),
            principalId: authorizer.principalId,
            integrationLatency: authorizer.integrationLatency ?? 0,
          }
        : undefined,
    },
  };
}

/** An authorizer's context as API Gateway passes it on: every value a string. */
function stringValues(context: Readonly<Record<string, unknown>>): Record<string, string> {
  const strings: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(context)) strings[name] = String(value);
  return strings;
}

export interface LambdaContextOptions {
  requestId?: string;
  timeoutMs?: number;
  /** Milliseconds since the epoch, for `getRemainingTimeInMillis`. */
  now?: () => number;
  api?: Pick<ApiTarget, 'region' | 'accountId'>;
}

/** A Lambda context for an async handler; callback-style completion is refused, as nothing here uses it. */
export function lambdaContext(functionName: string, options: LambdaContextOptions = {}): Context {
  const api = options.api ?? LOCAL_API;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 29_000);
  const fail = (): void => {
    throw new Error('callback-style completion is not supported: handlers are async');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${api.region}:${api.accountId}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
