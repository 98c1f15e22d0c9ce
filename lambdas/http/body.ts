import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { InvalidJson, PayloadTooLarge, ValidationFailed } from '../domain/errors';
import type { ManagementContext } from './context';
import { NOT_AN_OBJECT, WHOLE_INPUT } from './validation';

/** Request bodies over 16 KiB are refused (API.md §3 Limits), unless an operation says otherwise. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Refuses oversized bodies with 413 and leaves `event.body` as decoded UTF-8 text, so nothing
 * after it has to care whether API Gateway base64-encoded the body. An oversized base64 body is
 * refused before it is decoded.
 */
export function bodyGuard(maxBytes: number = MAX_BODY_BYTES): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  // Base64 carries 3 bytes per 4 characters; anything longer cannot decode to an allowed body.
  const maxBase64Chars = Math.ceil(maxBytes / 3) * 4;
  return {
    name: 'bodyGuard',
    before: ({ event }) => {
      if (event.body === null || event.body === undefined) return;
      if (event.isBase64Encoded) {
        if (event.body.length > maxBase64Chars) throw new PayloadTooLarge();
        const bytes = Buffer.from(event.body, 'base64');
        if (bytes.length > maxBytes) throw new PayloadTooLarge();
        event.body = bytes.toString('utf8');
        event.isBase64Encoded = false;
      } else if (Buffer.byteLength(event.body, 'utf8') > maxBytes) {
        throw new PayloadTooLarge();
      }
    },
  };
}

/**
 * Parses the (guarded) body as JSON into `context.keyward.body` (API.md §3 "Request bodies"). An
 * absent, empty or blank body is `{}`, so "no body" and "empty object" mean the same thing to the
 * schemas; anything else that is not JSON is 400 `invalid_json`; JSON that is not an object
 * (`null`, a list, a string, a number, a boolean) is 422 here, once for every route, so that no
 * route can mistake `null` for "nothing given".
 */
export function jsonBody(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, ManagementContext> {
  return {
    name: 'jsonBody',
    before: ({ event, context }) => {
      const text = event.body ?? '';
      let body: unknown = {};
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new InvalidJson();
        }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new ValidationFailed({ [WHOLE_INPUT]: [NOT_AN_OBJECT] });
      }
      context.keyward = { ...context.keyward, body };
    },
  };
}
