import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

/**
 * API Gateway's own sample events (REST, v1), as AWS documents them, kept as fixtures: the local
 * gateway's events are checked against their shape (which keys, `{}` or `null`, strings or
 * numbers), and the authorizer is run on them as API Gateway would call it.
 */

/**
 * "Input to an API Gateway Lambda authorizer", the `REQUEST` example (`GET /request`, proxy
 * integration): https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
 * A resource without path parameters still gets `"pathParameters": {}`.
 */
export const DOCUMENTED_REQUEST_AUTHORIZER_EVENT: APIGatewayRequestAuthorizerEvent = Object.freeze({
  type: 'REQUEST',
  methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
  resource: '/request',
  path: '/request',
  httpMethod: 'GET',
  headers: {
    'X-AMZ-Date': '20170718T062915Z',
    Accept: '*/*',
    HeaderAuth1: 'headerValue1',
    'CloudFront-Viewer-Country': 'US',
    'CloudFront-Forwarded-Proto': 'https',
    'User-Agent': '...',
    Host: '....execute-api.us-east-1.amazonaws.com',
    'Accept-Encoding': 'gzip, deflate',
    'X-Forwarded-Port': '443',
    'X-Forwarded-For': '..., ...',
    'cache-control': 'no-cache',
    'Content-Type': 'application/x-www-form-urlencoded',
  },
  multiValueHeaders: {
    'X-AMZ-Date': ['20170718T062915Z'],
    Accept: ['*/*'],
    HeaderAuth1: ['headerValue1'],
    'CloudFront-Viewer-Country': ['US'],
    'CloudFront-Forwarded-Proto': ['https'],
    'User-Agent': ['...'],
    Host: ['....execute-api.us-east-1.amazonaws.com'],
    'Accept-Encoding': ['gzip, deflate'],
    'X-Forwarded-Port': ['443'],
    'X-Forwarded-For': ['..., ...'],
    'cache-control': ['no-cache'],
    'Content-Type': ['application/x-www-form-urlencoded'],
  },
  queryStringParameters: { QueryString1: 'queryValue1' },
  multiValueQueryStringParameters: { QueryString1: ['queryValue1'] },
  pathParameters: {},
  stageVariables: { StageVar1: 'stageValue1' },
  requestContext: {
    path: '/request',
    accountId: '123456789012',
    resourceId: '05c7jb',
    stage: 'test',
    requestId: '...',
    identity: { apiKey: '...', sourceIp: '...' },
    resourcePath: '/request',
    httpMethod: 'GET',
    apiId: 'abcdef123',
  },
} as unknown as APIGatewayRequestAuthorizerEvent);

/**
 * "Input format of a Lambda function for proxy integration", the example (`POST
 * /testStage/hello/world?name=me` on `ANY /{proxy+}`):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 * Path parameters as sent; a Lambda authorizer adds `requestContext.authorizer` with its
 * `principalId`, its context values as strings, and `integrationLatency` ("Output from an API
 * Gateway Lambda authorizer": "The returned values are all stringified").
 */
export const DOCUMENTED_PROXY_EVENT: APIGatewayProxyEvent = Object.freeze({
  resource: '/{proxy+}',
  path: '/hello/world',
  httpMethod: 'POST',
  headers: {
    Accept: '*/*',
    'Accept-Encoding': 'gzip, deflate',
    'cache-control': 'no-cache',
    'Content-Type': 'application/json',
    headerName: 'headerValue',
    Host: 'gy415nuibc.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'PostmanRuntime/2.4.5',
    'X-Forwarded-For': '54.240.196.186, 54.182.214.83',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  },
  multiValueHeaders: {
    Accept: ['*/*'],
    'Accept-Encoding': ['gzip, deflate'],
    'cache-control': ['no-cache'],
    'Content-Type': ['application/json'],
    headerName: ['headerValue'],
    Host: ['gy415nuibc.execute-api.us-east-1.amazonaws.com'],
    'User-Agent': ['PostmanRuntime/2.4.5'],
    'X-Forwarded-For': ['54.240.196.186, 54.182.214.83'],
    'X-Forwarded-Port': ['443'],
    'X-Forwarded-Proto': ['https'],
  },
  queryStringParameters: { name: 'me', multivalueName: 'me' },
  multiValueQueryStringParameters: { name: ['me'], multivalueName: ['you', 'me'] },
  pathParameters: { proxy: 'hello/world' },
  stageVariables: { stageVariableName: 'stageVariableValue' },
  requestContext: {
    accountId: '12345678912',
    resourceId: 'roq9wj',
    stage: 'testStage',
    requestId: 'deef4878-7910-11e6-8f14-25afc3e9ae33',
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      apiKey: null,
      sourceIp: '192.168.196.186',
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: 'PostmanRuntime/2.4.5',
      user: null,
    },
    resourcePath: '/{proxy+}',
    httpMethod: 'POST',
    apiId: 'gy415nuibc',
  },
  body: '{\r\n\t"a": 1\r\n}',
  isBase64Encoded: false,
} as unknown as APIGatewayProxyEvent);

/**
 * The documented REQUEST authorizer event, made a keyward request: method, resource, path as
 * sent, and the credential: a consumer's key (`x-api-key`) or other headers (an admin's
 * `Authorization`).
 */
export function documentedAuthorizerEvent(input: {
  method: string;
  resource: string;
  pathParameters?: Record<string, string>;
  apiKey?: string;
  headers?: Record<string, string>;
}): APIGatewayRequestAuthorizerEvent {
  const sample = DOCUMENTED_REQUEST_AUTHORIZER_EVENT;
  const pathParameters = input.pathParameters ?? {};
  const headers: Record<string, string> = { ...input.headers, ...(input.apiKey === undefined ? {} : { 'x-api-key': input.apiKey }) };
  const path = input.resource.replace(/\{([^}]+)\}/g, (_, name: string) => pathParameters[name] ?? '');
  const [apiArn, stage] = sample.methodArn.split('/');
  return {
    ...sample,
    methodArn: `${apiArn}/${stage}/${input.method}${path}`,
    resource: input.resource,
    path,
    httpMethod: input.method,
    headers: { ...sample.headers, ...headers },
    multiValueHeaders: {
      ...sample.multiValueHeaders,
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    },
    pathParameters: { ...pathParameters },
    requestContext: { ...sample.requestContext, path, resourcePath: input.resource, httpMethod: input.method },
  };
}

/** The shape of a value: which keys an object has and the type of each, recursively (`null`, `{}` and strings kept apart). */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'array' : [shapeOf(value[0])];
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? '{}' : Object.fromEntries(entries.map(([key, inner]) => [key, shapeOf(inner)]));
  }
  return typeof value;
}
