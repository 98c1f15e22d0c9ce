import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import * as gateway from '../../local/api-gateway-events';

export { methodArn } from '../../local/api-gateway-events';

export interface AuthorizerEventInput {
  method?: string;
  /** The API Gateway resource template, e.g. `/v1/customers/{id}`. */
  resource?: string;
  headers?: gateway.ValuePairs;
  pathParameters?: Record<string, string>;
  queryStringParameters?: gateway.ValuePairs;
  /** `requestContext.identity.sourceIp`; default 127.0.0.1. */
  sourceIp?: string;
}

/** A fixed request id and time, so authorizer events are the same on every run. */
function request(input: AuthorizerEventInput): gateway.RequestInput {
  return {
    method: input.method ?? 'GET',
    resource: input.resource ?? '/v1/customers',
    pathParameters: input.pathParameters,
    headers: input.headers,
    query: input.queryStringParameters,
    ...(input.sourceIp === undefined ? {} : { sourceIp: input.sourceIp }),
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    requestTime: new Date('2026-11-26T04:00:00.000Z'),
  };
}

/** A REQUEST authorizer event as API Gateway (REST v1) sends it. */
export function authorizerEvent(input: AuthorizerEventInput = {}): APIGatewayRequestAuthorizerEvent {
  return gateway.authorizerEvent(request(input));
}

/** A REST v1 proxy event behind an authorizer that allowed with `authorizer` (its context and principalId). */
export function proxyEvent(
  input: AuthorizerEventInput & { authorizer: ({ principalId: string } & Record<string, string>) | null; body?: string },
): APIGatewayProxyEvent {
  let authorizer: gateway.ProxyInput['authorizer'] = null;
  if (input.authorizer) {
    const { principalId, ...context } = input.authorizer;
    authorizer = { principalId, context };
  }
  return gateway.proxyEvent({ ...request(input), body: input.body ?? null, authorizer });
}

/**
 * Entry files validate their configuration at module load (STYLE.md rule 7), so tests set the
 * environment first and then load the module.
 */
export async function importWithEnv<T>(env: Record<string, string>, load: () => Promise<T>): Promise<T> {
  Object.assign(process.env, env);
  return load();
}
