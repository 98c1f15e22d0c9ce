import { z } from 'zod';
import { MANAGEMENT_ROUTES } from '../management-api';
import { apiKeyFieldsSchema, pageQuerySchema, rotateApiKeySchema } from './schemas';

/**
 * The management API's OpenAPI 3.1 document, derived from the same zod schemas and route list the
 * handlers use (STYLE.md rule 5), so it cannot drift from what the API accepts. Pure: the local
 * gateway serves it at `GET /openapi.json` and `npm run openapi` prints it.
 */
type JsonSchema = Record<string, unknown>;

const inputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  return rest;
};

const keySchema: JsonSchema = {
  type: 'object',
  required: ['id', 'organization_id', 'name', 'masked_value', 'permissions', 'created_at', 'expires_at', 'last_used_at'],
  properties: {
    id: { type: 'string' },
    organization_id: { type: 'string' },
    name: { type: ['string', 'null'] },
    masked_value: { type: 'string', examples: ['kw_••••••••9fQz'] },
    permissions: { type: 'object', additionalProperties: { type: 'array', items: { enum: ['read', 'write'] } } },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
  },
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const withValue = { allOf: [ref('ApiKey'), { type: 'object', required: ['value'], properties: { value: { type: 'string' } } }] };
const page = (field: string, item: JsonSchema) => ({
  type: 'object',
  required: [field, 'meta'],
  properties: {
    [field]: { type: 'array', items: item },
    meta: { type: 'object', required: ['next_cursor'], properties: { next_cursor: { type: ['string', 'null'] } } },
  },
});

/** Each entry's request body schema, success status and success body. */
const OPERATIONS: Record<
  string,
  {
    summary: string;
    body?: JsonSchema;
    status: string;
    response: JsonSchema;
    paged?: boolean;
    /** Returns one key, with its version as `ETag`. */
    etag?: boolean;
    /** Accepts `If-Match` (412 when the key changed). */
    ifMatch?: boolean;
  }
> = {
  'list-api-keys': { summary: 'List API keys, oldest first', status: '200', response: page('api_keys', ref('ApiKey')), paged: true },
  'create-api-key': {
    summary: 'Create an API key (emails the admins)',
    body: ref('ApiKeyFields'),
    status: '201',
    response: { type: 'object', properties: { api_key: withValue } },
    etag: true,
  },
  'get-api-key': {
    summary: 'Get an API key',
    status: '200',
    response: { type: 'object', properties: { api_key: ref('ApiKey') } },
    etag: true,
  },
  'reveal-api-key': {
    summary: 'Reveal an API key (audited; Cache-Control: no-store)',
    status: '200',
    response: { type: 'object', properties: { api_key: withValue } },
    etag: true,
  },
  'update-api-key': {
    summary: 'Rename an API key or change its permissions (only the fields given)',
    body: ref('ApiKeyFields'),
    status: '200',
    response: { type: 'object', properties: { api_key: ref('ApiKey') } },
    etag: true,
    ifMatch: true,
  },
  'rotate-api-key': {
    summary: "Rotate an API key now or on a schedule (emails the admins); the ETag is the new key's",
    body: ref('Rotation'),
    status: '200',
    response: { type: 'object', properties: { api_key: withValue, rotated_api_key: ref('ApiKey') } },
    etag: true,
    ifMatch: true,
  },
  'delete-api-key': {
    summary: 'Delete an API key (never the last non-expiring one; emails the admins)',
    status: '200',
    response: { type: 'object', properties: { api_key: ref('ApiKey') } },
    etag: true,
    ifMatch: true,
  },
  'list-audit-events': {
    summary: 'List audit events, newest first',
    status: '200',
    response: page('audit_events', ref('AuditEvent')),
    paged: true,
  },
};

const ERROR_STATUSES = ['400', '401', '403', '404', '413', '422', '500'];

/** API.md §3 "Concurrent changes": the key's version as a strong entity tag. */
const ETAG_HEADER = {
  ETag: { description: 'The version of the key returned, e.g. "3"', schema: { type: 'string', pattern: '^"[0-9]+"$' } },
};
const IF_MATCH_PARAMETER: JsonSchema = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'Change the key only if it is still at one of these versions (its ETag, e.g. "3"), else 412 precondition_failed and nothing changes. ' +
    '"*" or no If-Match: no precondition. Weak tags (W/"3") never match. A value that is not "*" or a list of quoted ETags is a 422.',
  schema: { type: 'string' },
};

export function openApiDocument(catalog: readonly string[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const query = inputSchema(pageQuerySchema) as { properties: Record<string, JsonSchema> };
  for (const route of MANAGEMENT_ROUTES) {
    const operation = OPERATIONS[route.entry];
    if (!operation) throw new Error(`no OpenAPI description for ${route.entry}`);
    const parameters: JsonSchema[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (operation.paged) {
      for (const [name, schema] of Object.entries(query.properties)) parameters.push({ name, in: 'query', required: false, schema });
    }
    if (operation.ifMatch) parameters.push(IF_MATCH_PARAMETER);
    const errorStatuses = operation.ifMatch ? [...ERROR_STATUSES, '412'].sort() : ERROR_STATUSES;
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.entry.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase()),
      summary: operation.summary,
      parameters,
      ...(operation.body ? { requestBody: { required: false, content: { 'application/json': { schema: operation.body } } } } : {}),
      responses: {
        [operation.status]: {
          description: 'Success',
          ...(operation.etag ? { headers: ETAG_HEADER } : {}),
          content: { 'application/json': { schema: operation.response } },
        },
        ...Object.fromEntries(
          errorStatuses.map((status) => [status, { description: 'Error', content: { 'application/json': { schema: ref('Error') } } }]),
        ),
      },
    };
  }
  const fields = inputSchema(apiKeyFieldsSchema(catalog));
  return {
    openapi: '3.1.0',
    info: { title: 'keyward management API', version: '1' },
    security: [{ adminJwt: [] }],
    paths,
    components: {
      securitySchemes: { adminJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        ApiKey: keySchema,
        ApiKeyFields: fields,
        Rotation: inputSchema(rotateApiKeySchema),
        AuditEvent: {
          type: 'object',
          required: ['id', 'type', 'occurred_at', 'actor', 'api_key_id', 'details'],
          properties: {
            id: { type: 'string' },
            type: { type: 'string' },
            occurred_at: { type: 'string', format: 'date-time' },
            actor: { type: 'object', properties: { type: { enum: ['user', 'system'] }, email: { type: 'string' } } },
            api_key_id: { type: 'string' },
            details: { type: 'object' },
          },
        },
        Error: {
          type: 'object',
          required: ['status', 'error'],
          properties: {
            status: { type: 'integer' },
            error: { type: 'string' },
            code: { type: 'string' },
            error_details: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
  };
}
