import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Conflict, DomainError, Unauthenticated, ValidationFailed } from '../domain/errors';
import { StaleState } from '../domain/ports';
import { logger } from '../observability/logger';
import { json } from './responses';

/** The reason phrases the management API uses (API.md §3). */
export const REASON_PHRASES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const satisfies Readonly<Record<number, string>>;

/** The reason phrase of `status`, or a generic one for a status this API never sends. */
export function reasonPhrase(status: number): string {
  return (REASON_PHRASES as Readonly<Record<number, string>>)[status] ?? 'Error';
}

export interface ErrorBody {
  status: number;
  error: string;
  code?: string;
  error_details?: Record<string, string[]>;
}

/**
 * The one place a failure becomes a response body (STYLE.md rule 6). Only a `DomainError` says
 * anything about itself; every other failure is an opaque 500 so no stack, SDK message or table
 * name reaches the caller.
 */
export function errorResponse(failure: unknown): APIGatewayProxyResult {
  const error = asDomainError(failure);
  if (error instanceof Unauthenticated) {
    // Exactly the body API Gateway's own 401 has, so a caller cannot tell which layer refused.
    return json(401, { status: 401, error: REASON_PHRASES[401] } satisfies ErrorBody);
  }
  if (error instanceof DomainError) {
    const body: ErrorBody = { status: error.status, error: reasonPhrase(error.status), code: error.code };
    if (error instanceof ValidationFailed) body.error_details = error.details;
    return json(error.status, body);
  }
  return json(500, { status: 500, error: REASON_PHRASES[500], code: 'internal_error' } satisfies ErrorBody);
}

/**
 * A StaleState that reaches the HTTP layer lost every one of its bounded retries (or its store's
 * transaction kept conflicting): nothing was written, so it is 409 `conflict`, never a 5xx.
 */
function asDomainError(error: unknown): unknown {
  return error instanceof StaleState ? new Conflict() : error;
}

/**
 * Maps every error of the invocation to a response. Register it FIRST: middy runs `onError`
 * middlewares in reverse registration order, so the first one registered runs last and sees
 * errors from the handler and from every other middleware.
 */
export function httpErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    name: 'httpErrors',
    onError: (request) => {
      const error = asDomainError(request.error);
      // Named here because the logger middleware has already reset its per-request keys.
      const ids = {
        organization_id: request.event?.pathParameters?.organization_id,
        api_key_id: request.event?.pathParameters?.api_key_id,
      };
      if (error instanceof DomainError) {
        logger.info('request refused', { ...ids, status: error.status, code: error.code });
      } else {
        // The service and the adapters never put a token into an error, so the error is safe to
        // log; it goes to the log and never to the response.
        logger.error('unexpected error', { ...ids, error: error instanceof Error ? error : String(error) });
      }
      request.response = errorResponse(error);
    },
  };
}
