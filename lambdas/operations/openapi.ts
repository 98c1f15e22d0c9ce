import { z } from 'zod';
import {
  createDocument,
  type oas31,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { ERROR_RESPONSES, type ErrorStatus, errorSchema } from '../http/response-schemas';
import { type EntryOperation, OPERATION_LIST } from './manifest';

/**
 * The management API's OpenAPI 3.1 document, derived from the operation manifest and the same zod
 * schemas the handlers parse requests with and answer through (STYLE.md rule 5), with
 * zod-openapi: a generated client (the console's) types exactly what the API accepts and sends.
 * Pure: `GET /openapi.json` serves it and `npm run openapi` prints it.
 */

const SERVERS: oas31.ServerObject[] = [
  {
    url: 'http://127.0.0.1:{port}',
    description: 'The local stack (`npm start`)',
    variables: { port: { default: '3000', description: 'The gateway port (`PORT`)' } },
  },
  {
    url: 'https://{rest_api_id}.execute-api.{region}.amazonaws.com/{stage}',
    description: "A deployed stage: the stack's `ManagementApiUrl` output",
    variables: {
      rest_api_id: { default: 'abcdef1234', description: 'The management REST API id' },
      region: { default: 'us-east-1' },
      stage: { default: 'dev', description: 'The `stage` context parameter' },
    },
  },
];

const PATH_PARAMETERS: Readonly<Record<string, z.ZodType>> = {
  organization_id: z.string().meta({ description: 'The organization id (1 to 64 of a-z, 0-9 and -)' }),
  api_key_id: z.string().meta({ description: 'The key id' }),
};

const IF_MATCH = z
  .string()
  .optional()
  .meta({
    description:
      'Change the key (or the settings) only if it is still at one of these versions (its ETag, e.g. "3"), else 412 precondition_failed and nothing changes. ' +
      '"*" or no If-Match: no precondition. Weak tags (W/"3") never match. A value that is not "*" or a list of quoted ETags is a 422.',
  });

/** GitHub's secret-scanning signature headers (API.md §10): checked before anything else. */
const SIGNATURE_HEADERS = z.object({
  'Github-Public-Key-Identifier': z.string().meta({ description: 'Which published key signed the body' }),
  'Github-Public-Key-Signature': z
    .string()
    .meta({ description: 'ECDSA P-256 / SHA-256 signature of the raw body, base64 DER; missing or wrong: 401 invalid_signature' }),
});

const ETAG = z.string().meta({ description: 'The version of the key (or settings) returned, e.g. "3"', pattern: '^"[0-9]+"$' });
const NO_STORE = z.literal('no-store').meta({ description: 'The body carries a token: no cache may keep it' });

/**
 * One response per error status, shared by every operation that can answer it (it becomes one of
 * `components.responses`): zod-openapi registers a response under its id once, so every operation
 * must get the same object.
 */
const errorResponses = new Map<ErrorStatus, ZodOpenApiResponseObject>();
function errorResponse(status: ErrorStatus): ZodOpenApiResponseObject {
  let response = errorResponses.get(status);
  if (!response) {
    const { id, description } = ERROR_RESPONSES[status];
    response = { id, description, content: { 'application/json': { schema: errorSchema } } };
    errorResponses.set(status, response);
  }
  return response;
}

/** The error statuses an operation can answer, from what its row says it reads and checks. */
function errorStatuses(operation: EntryOperation): ErrorStatus[] {
  const signed = 'signed' in operation;
  const takesInput = 'body' in operation || 'query' in operation || 'ifMatch' in operation || signed;
  const statuses: (ErrorStatus | false)[] = [
    400,
    (operation.auth !== 'public' || signed) && 401,
    operation.auth === 'organization-admin' && 403,
    (operation.auth === 'organization-admin' || operation.path.includes('{')) && 404,
    // Every write retries when it loses a race, and gives up with 409.
    operation.method !== 'GET' && operation.entry !== 'reveal-api-key' && 409,
    'ifMatch' in operation && 412,
    413,
    takesInput && 422,
    // Stage throttling applies to every method, public ones included.
    429,
    500,
    502,
    signed && 503,
    504,
  ];
  return statuses.filter((status) => status !== false);
}

const AUTH_DESCRIPTIONS = {
  'organization-admin': 'Caller: an admin of the organization in the path.',
  admin: 'Caller: anyone with a valid admin JWT, whatever their memberships.',
  public: 'No authentication.',
} as const;

function operationObject(operation: EntryOperation, catalog: readonly string[]): ZodOpenApiOperationObject {
  const pathNames = [...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
  const headers = {
    ...('etag' in operation ? { ETag: ETAG } : {}),
    ...('noStore' in operation ? { 'Cache-Control': NO_STORE } : {}),
  };
  return {
    operationId: operation.entry.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase()),
    summary: operation.summary,
    description: AUTH_DESCRIPTIONS[operation.auth],
    ...(operation.auth === 'public' ? { security: [] } : {}),
    requestParams: {
      ...(pathNames.length > 0 ? { path: z.object(Object.fromEntries(pathNames.map((name) => [name, PATH_PARAMETERS[name]!]))) } : {}),
      ...('query' in operation ? { query: operation.query } : {}),
      ...('ifMatch' in operation ? { header: z.object({ 'If-Match': IF_MATCH }) } : {}),
    },
    ...('body' in operation
      ? { requestBody: { required: false, content: { 'application/json': { schema: operation.body(catalog) } } } }
      : {}),
    ...('signed' in operation
      ? {
          requestParams: { header: SIGNATURE_HEADERS },
          requestBody: { required: true, content: { 'application/json': { schema: operation.signed.body } } },
        }
      : {}),
    responses: {
      [operation.status]: {
        description: 'Success',
        ...(Object.keys(headers).length > 0 ? { headers: z.object(headers) } : {}),
        content: { 'application/json': { schema: operation.response } },
      },
      ...Object.fromEntries(errorStatuses(operation).map((status) => [status, errorResponse(status)])),
    },
  };
}

export function openApiDocument(catalog: readonly string[]): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of OPERATION_LIST) {
    paths[operation.path] = { ...paths[operation.path], [operation.method.toLowerCase()]: operationObject(operation, catalog) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'keyward management API',
      version: '1',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      description:
        'Organization admins manage their API keys. Every error has the shape `{"status","error","code"}` (plus `error_details` for ' +
        '`validation_errors`); a method or path the API does not define is 404 `route_not_found`.',
    },
    servers: SERVERS,
    security: [{ adminJwt: [] }],
    paths,
    components: {
      securitySchemes: {
        adminJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An OIDC ID token (Cognito, or the configured issuer)',
        },
      },
    },
  }) as unknown as Record<string, unknown>;
}
