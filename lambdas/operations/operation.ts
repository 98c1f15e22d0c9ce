import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import type { ExpectedVersions } from '../domain/api-key';
import { OrganizationNotFound, ValidationFailed } from '../domain/errors';
import type { UserActor } from '../http/context';
import { expectedVersions } from '../http/etag';
import { pathParameter } from '../http/path';
import { json } from '../http/responses';
import { parseWith } from '../http/validation';
import type { Operation, PathParameters } from './manifest';
import { apiKeyIdOf, type ManagementHandler, managementHandler } from './stack';

/** What a handler receives: its request, checked and parsed as its manifest row says. */
export interface OperationRequest<O extends Operation> {
  event: APIGatewayProxyEvent;
  actor: O['auth'] extends 'public' ? undefined : UserActor;
  /** The path's parameters; `api_key_id` is a well-formed key id. */
  params: Record<PathParameters<O['path']>, string>;
  /** The versions `If-Match` accepts (operations with `ifMatch`); undefined: no precondition. */
  expected: ExpectedVersions;
  body: O extends { body: (catalog: readonly string[]) => infer S extends z.ZodType } ? z.output<S> : undefined;
  query: O extends { query: infer S extends z.ZodType } ? z.output<S> : undefined;
}

/** What a handler returns: a body of its row's response schema, and the key's version where the row sends an `ETag`. */
export type OperationResult<O extends Operation> = { body: z.input<O['response']> } & (O extends { etag: true }
  ? { version: number }
  : { version?: never });

/** How each path parameter is read: a value that cannot name anything is a 404 without a table read. */
const PATH_PARAMETERS: Readonly<Record<string, (event: APIGatewayProxyEvent) => string>> = {
  organization_id: (event) => {
    const id = pathParameter(event, 'organization_id');
    if (!id) throw new OrganizationNotFound();
    return id;
  },
  api_key_id: apiKeyIdOf,
};

/**
 * The handler of one operation, built from its manifest row on the shared middy stack. Before the
 * handler runs, the request is checked in the order docs/api.md fixes: the caller (stack), the path
 * (404), the body, the query; a malformed `If-Match` is a 422 once the service found the key (an
 * unknown key stays 404, API.md §3 Limits); the answer gets the row's status,
 * and its `ETag` and `Cache-Control: no-store` where the row says so.
 */
export function operationHandler<O extends Operation>(
  operation: O,
  options: { catalog: readonly string[] },
  handle: (request: OperationRequest<O>) => Promise<OperationResult<O>>,
): ManagementHandler {
  const bodySchema = operation.body?.(options.catalog);
  const parameters = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const read = PATH_PARAMETERS[name!];
    if (!read) throw new Error(`no check for path parameter {${name}} of ${operation.method} ${operation.path}`);
    return [name!, read] as const;
  });
  return managementHandler(
    { auth: operation.auth, jsonBody: bodySchema !== undefined, maxBodyBytes: operation.maxBodyBytes },
    async ({ event, actor, body }) => {
      const params = Object.fromEntries(parameters.map(([name, read]) => [name, read(event)]));
      const expected = operation.ifMatch ? preconditionOf(event) : undefined;
      const request = {
        event,
        actor,
        params,
        expected,
        body: bodySchema ? parseWith(bodySchema, body) : undefined,
        query: operation.query ? parseWith(operation.query, event.queryStringParameters ?? {}, 'query') : undefined,
      } as OperationRequest<O>;
      const result = await handle(request);
      return json(operation.status, result.body, { noStore: operation.noStore, version: result.version });
    },
  );
}

/** The request's `If-Match`, a malformed one kept as its refusal for the service to throw after its read. */
function preconditionOf(event: APIGatewayProxyEvent): ExpectedVersions {
  try {
    return expectedVersions(event);
  } catch (error) {
    if (error instanceof ValidationFailed) return { invalid: error };
    throw error;
  }
}
