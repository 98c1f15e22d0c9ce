import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiKeyNotFound, Unauthenticated } from '../domain/errors';
import { bodyGuard, jsonBody } from '../http/body';
import type { ManagementContext, UserActor } from '../http/context';
import { httpErrors } from '../http/errors';
import { pathParameter } from '../http/path';
import { logger } from '../observability/logger';
import { adminIdentity } from './admin';
import type { AuthKind } from './manifest';

/** What an operation receives once the stack has authenticated and parsed the request. */
export interface ManagementRequest {
  event: APIGatewayProxyEvent;
  /** The caller; undefined only on `public` operations. */
  actor: UserActor | undefined;
  /** The parsed JSON body (`{}` when there was none); `{}` for operations without a body. */
  body: unknown;
}

export type ManagementRoute = (request: ManagementRequest) => Promise<APIGatewayProxyResult>;
export type ManagementHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ManagementHandlerOptions {
  /** Who may call it (the manifest row's `auth`). */
  auth: AuthKind;
  /** Parse the body as JSON (create, update, rotate). Other operations ignore any body. */
  jsonBody?: boolean;
  /** The largest body accepted (the manifest row's `maxBodyBytes`). @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
}

/**
 * The admin console's origins, comma-separated (in AWS its CloudFront URL and those of the stage's
 * `consoleUrls`, set by the stack): the origins whose pages may read the management API's answers,
 * `ETag` included. Unset locally, where the console and the API share the gateway's origin and need no CORS.
 */
const consoleOrigins = (process.env.CONSOLE_ORIGIN ?? '')
  .split(',')
  .map((origin) => origin.trim())
  .filter((origin) => origin !== '');

/** CORS for the console: registered first, so it adds its headers to every answer, errors included. */
const cors = consoleOrigins.length > 0 ? [httpCors({ origins: consoleOrigins, exposeHeaders: 'ETag' })] : [];

/**
 * The middy stack shared by every management handler, in order: CORS for the console, error mapping (registered first
 * so its `onError` runs last and sees every failure), log context, header normalization, the admin
 * identity (so an unauthenticated caller learns nothing about the body), the body-size guard, and
 * JSON parsing when the operation takes a body.
 */
export function managementHandler(options: ManagementHandlerOptions, route: ManagementRoute): ManagementHandler {
  const { auth } = options;
  const stack = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ManagementContext>()
    .use(cors)
    .use(httpErrors())
    // logEvent stays off whatever the environment says: the event carries the admin's JWT.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(httpHeaderNormalizer())
    .use(auth === 'public' ? [] : [adminIdentity(auth)])
    .use(bodyGuard(options.maxBodyBytes))
    .use(options.jsonBody ? [jsonBody()] : [])
    .handler(async (event, context) => {
      const actor = context.keyward?.actor;
      if (auth !== 'public' && !actor) throw new Unauthenticated();
      logger.appendKeys({ organization_id: event.pathParameters?.organization_id, api_key_id: event.pathParameters?.api_key_id });
      return route({ event, actor, body: context.keyward?.body ?? {} });
    });
  return (event, context) => stack(event, context);
}

/** Key ids are ULIDs; anything far from that shape cannot name a key, so it is a 404 without a read. */
const API_KEY_ID = /^[0-9A-Za-z]{1,64}$/;

/** The `{api_key_id}` path parameter, or ApiKeyNotFound. */
export function apiKeyIdOf(event: APIGatewayProxyEvent): string {
  const id = pathParameter(event, 'api_key_id');
  if (id === undefined || !API_KEY_ID.test(id)) throw new ApiKeyNotFound();
  return id;
}
