import type {
  APIGatewayEventIdentity,
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import type { SecretBox, SecretContext } from '../../lambdas/domain/ports';

export interface AuthorizerEventInput {
  method?: string;
  /** The API Gateway resource template, e.g. `/v1/customers/{id}`. */
  resource?: string;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
}

export const ACCOUNT_ID = '123456789012';
export const API_ID = 'apiid';
export const STAGE = 'local';

const identity: APIGatewayEventIdentity = {
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
};

/** `/v1/customers/{id}` with `{id: '42'}` → `/v1/customers/42`; unnamed parameters become `x`. */
function concretePath(resource: string, params: Record<string, string>): string {
  return resource.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? 'x'));
}

function requestContext<T>(method: string, resource: string, path: string, authorizer: T): APIGatewayEventRequestContextWithAuthorizer<T> {
  return {
    accountId: ACCOUNT_ID,
    apiId: API_ID,
    authorizer,
    protocol: 'HTTP/1.1',
    httpMethod: method,
    identity,
    path: `/${STAGE}${path}`,
    stage: STAGE,
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    requestTimeEpoch: Date.parse('2026-11-26T04:00:00.000Z'),
    resourceId: 'abc123',
    resourcePath: resource,
  };
}

function multiValue(values: Record<string, string> | undefined): Record<string, string[]> | null {
  if (!values) return null;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, [value]]));
}

export function methodArn(method: string, path: string): string {
  return `arn:aws:execute-api:us-east-1:${ACCOUNT_ID}:${API_ID}/${STAGE}/${method}${path}`;
}

/** A REQUEST authorizer event as API Gateway (REST v1) sends it. */
export function authorizerEvent(input: AuthorizerEventInput = {}): APIGatewayRequestAuthorizerEvent {
  const method = input.method ?? 'GET';
  const resource = input.resource ?? '/v1/customers';
  const path = concretePath(resource, input.pathParameters ?? {});
  return {
    type: 'REQUEST',
    methodArn: methodArn(method, path),
    resource,
    path,
    httpMethod: method,
    headers: input.headers ?? {},
    multiValueHeaders: multiValue(input.headers) ?? {},
    pathParameters: input.pathParameters ?? null,
    queryStringParameters: input.queryStringParameters ?? null,
    multiValueQueryStringParameters: multiValue(input.queryStringParameters),
    stageVariables: null,
    requestContext: requestContext(method, resource, path, undefined),
  };
}

/** A REST v1 proxy event behind an authorizer whose context was `authorizer`. */
export function proxyEvent(
  input: AuthorizerEventInput & { authorizer: Record<string, string> | null; body?: string },
): APIGatewayProxyEvent {
  const method = input.method ?? 'GET';
  const resource = input.resource ?? '/v1/customers';
  const path = concretePath(resource, input.pathParameters ?? {});
  return {
    resource,
    path,
    httpMethod: method,
    headers: input.headers ?? {},
    multiValueHeaders: multiValue(input.headers) ?? {},
    pathParameters: input.pathParameters ?? null,
    queryStringParameters: input.queryStringParameters ?? null,
    multiValueQueryStringParameters: multiValue(input.queryStringParameters),
    stageVariables: null,
    body: input.body ?? null,
    isBase64Encoded: false,
    requestContext: requestContext(method, resource, path, input.authorizer),
  };
}

/**
 * A reversible SecretBox for seeding keys in tests that never reveal them: it only has to honour
 * the port (and refuse a ciphertext under another context), not to be secret.
 */
export class PlainTestSecretBox implements SecretBox {
  async encrypt(plaintext: string, context: SecretContext): Promise<string> {
    return Buffer.from(JSON.stringify({ context, plaintext })).toString('base64');
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<string> {
    const parsed = JSON.parse(Buffer.from(ciphertext, 'base64').toString()) as { context: SecretContext; plaintext: string };
    if (JSON.stringify(parsed.context) !== JSON.stringify(context)) throw new Error('context mismatch');
    return parsed.plaintext;
  }
}

/**
 * Entry files validate their configuration at module load (STYLE.md rule 7), so tests set the
 * environment first and then load the module.
 */
export async function importWithEnv<T>(env: Record<string, string>, load: () => Promise<T>): Promise<T> {
  Object.assign(process.env, env);
  return load();
}
