import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiKeyNotFound, OrganizationNotFound, Unauthenticated } from '../domain/errors';
import { logger } from '../logger';
import { adminIdentity } from './admin';
import { bodyGuard, jsonBody } from './body';
import type { ManagementContext, UserActor } from './context';
import { httpErrors } from './errors';

/** What a management route receives once the stack has authenticated and parsed the request. */
export interface ManagementRequest {
  event: APIGatewayProxyEvent;
  organizationId: string;
  actor: UserActor;
  /** The parsed JSON body (`{}` when there was none); `{}` for routes without a body. */
  body: unknown;
}

export type ManagementRoute = (request: ManagementRequest) => Promise<APIGatewayProxyResult>;
export type ManagementHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ManagementHandlerOptions {
  /** Parse the body as JSON (create, update, rotate). Other routes ignore any body. */
  jsonBody?: boolean;
}

/**
 * The middy stack shared by every management handler, in order: error mapping (registered first
 * so its `onError` runs last and sees every failure), log context, header normalization, the admin
 * identity (so an unauthenticated caller learns nothing about the body), the body-size guard, and
 * JSON parsing when the route takes a body.
 */
export function managementHandler(options: ManagementHandlerOptions, route: ManagementRoute): ManagementHandler {
  const stack = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ManagementContext>()
    .use(httpErrors())
    // logEvent stays off whatever the environment says: the event carries the admin's JWT.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(httpHeaderNormalizer())
    .use(adminIdentity())
    .use(bodyGuard())
    .use(options.jsonBody ? [jsonBody()] : [])
    .handler(async (event, context) => {
      const actor = context.keyward?.actor;
      if (!actor) throw new Unauthenticated();
      const organizationId = event.pathParameters?.organization_id;
      if (!organizationId) throw new OrganizationNotFound();
      logger.appendKeys({ organization_id: organizationId, api_key_id: event.pathParameters?.api_key_id });
      return route({ event, organizationId, actor, body: context.keyward?.body ?? {} });
    });
  return (event, context) => stack(event, context);
}

/** Key ids are ULIDs; anything far from that shape cannot name a key, so it is a 404 without a read. */
const API_KEY_ID = /^[0-9A-Za-z]{1,64}$/;

/** The `{api_key_id}` path parameter, or ApiKeyNotFound. */
export function apiKeyIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.api_key_id;
  if (id === undefined || !API_KEY_ID.test(id)) throw new ApiKeyNotFound();
  return id;
}
