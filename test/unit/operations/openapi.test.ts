import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AUDIT_EVENT_TYPES } from '../../../lambdas/domain/audit-event';
import { OPERATION_LIST } from '../../../lambdas/operations/manifest';
import { openApiDocument } from '../../../lambdas/operations/openapi';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  format?: string;
  items?: Schema;
  anyOf?: Schema[];
};
type Operation = {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, { schema: Schema }> }>;
};
type Document = {
  openapi: string;
  servers: { url: string; variables?: Record<string, unknown> }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, { description: string }> };
};

const document = openApiDocument(['customer', 'invoice']) as unknown as Document;
const operationOf = (entry: string) => {
  const row = OPERATION_LIST.find((operation) => operation.entry === entry)!;
  return document.paths[row.path]![row.method.toLowerCase()]!;
};
const schemaRef = (schema: Schema): Schema => (schema.$ref ? document.components.schemas[schema.$ref.split('/').pop()!]! : schema);
const successSchema = (entry: string) => {
  const operation = operationOf(entry);
  const [status] = Object.keys(operation.responses).filter((code) => code.startsWith('2'));
  return schemaRef(operation.responses[status!]!.content!['application/json']!.schema);
};

/** Redocly's verdict on a document (test/support/openapi-lint.ts, in its own process). */
function lint(candidate: unknown): { rule: string; severity: string; message: string }[] {
  const output = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../support/openapi-lint.ts')], {
    input: JSON.stringify(candidate),
    encoding: 'utf8',
  });
  return JSON.parse(output) as { rule: string; severity: string; message: string }[];
}

describe('OpenAPI document', () => {
  it("passes Redocly's recommended rules, the OpenAPI 3.1 structure included, without a single problem", () => {
    expect(lint(document)).toEqual([]);
  });

  it('is checked by a linter that does find problems', () => {
    const broken = structuredClone(document) as unknown as Record<string, unknown>;
    delete broken.info;
    const rules = lint(broken).map((problem) => problem.rule);
    expect(rules).toContain('struct');
  });

  it('describes every operation of the manifest with its path parameters and success status, and no other', () => {
    const described = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(described.sort()).toEqual(OPERATION_LIST.map((row) => `${row.method.toLowerCase()} ${row.path}`).sort());
    for (const row of OPERATION_LIST) {
      const operation = operationOf(row.entry);
      const pathParameters = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(pathParameters).toEqual([...row.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]));
      expect(operation.responses[String(row.status)]?.content?.['application/json']).toBeDefined();
    }
  });

  it('requires a JWT everywhere but on the public routes, and answers 401 where a JWT or a signature is checked', () => {
    for (const row of OPERATION_LIST) {
      const operation = operationOf(row.entry);
      expect([row.entry, operation.security]).toEqual([row.entry, row.auth === 'public' ? [] : undefined]);
      expect([row.entry, '401' in operation.responses]).toEqual([row.entry, row.auth !== 'public' || 'signed' in row]);
    }
    const report = operationOf('report-secret-scanning');
    expect(Object.keys(report.responses)).toEqual(expect.arrayContaining(['200', '401', '413', '422', '503']));
    expect(report.parameters?.map((parameter) => (parameter as { name: string }).name)).toEqual([
      'Github-Public-Key-Identifier',
      'Github-Public-Key-Signature',
    ]);
    expect(report.requestBody).toBeDefined();
    expect(operationOf('get-me').responses).not.toHaveProperty('403');
    expect(operationOf('list-api-keys').responses).toHaveProperty('403');
  });

  it('marks api_key and rotated_api_key required in every success wrapper, so a generated client never types them optional', () => {
    const wrappers = OPERATION_LIST.map((row) => [row.entry, successSchema(row.entry)] as const).filter(
      ([, schema]) => schema.properties?.api_key !== undefined,
    );
    expect(wrappers.map(([entry]) => entry).sort()).toEqual(
      ['create-api-key', 'delete-api-key', 'get-api-key', 'reveal-api-key', 'rotate-api-key', 'update-api-key'].sort(),
    );
    for (const [entry, schema] of wrappers) {
      expect([entry, schema.required]).toEqual([entry, expect.arrayContaining(Object.keys(schema.properties!))]);
    }
    expect(successSchema('rotate-api-key').required).toEqual(['api_key', 'rotated_api_key']);
    expect(schemaRef(successSchema('create-api-key').properties!.api_key!).required).toContain('value');
    expect(schemaRef(successSchema('get-api-key').properties!.api_key!).properties).not.toHaveProperty('value');
  });

  it('documents limit as an integer from 1 to 100 (default 100) and paging on the list calls only', () => {
    for (const entry of ['list-api-keys', 'list-audit-events']) {
      const query = operationOf(entry).parameters!.filter((p) => p.in === 'query');
      expect(query.map((p) => p.name)).toEqual(['limit', 'cursor']);
      expect(query[0]!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 100 });
    }
    expect(operationOf('get-api-key').parameters!.filter((p) => p.in === 'query')).toEqual([]);
  });

  it('describes audit events: the type as an enum, the actor user|system|operator with email, principal and user, the details', () => {
    const event = document.components.schemas.AuditEvent!;
    expect(event.properties!.type!.enum).toEqual([...AUDIT_EVENT_TYPES]);
    const actor = event.properties!.actor!;
    expect(actor.properties!.type!.enum).toEqual(['user', 'system', 'operator']);
    expect(Object.keys(actor.properties!)).toEqual(['type', 'email', 'principal', 'user']);
    const details = event.properties!.details!;
    expect(Object.keys(details.properties!)).toEqual(
      expect.arrayContaining(['name', 'masked_value', 'permissions', 'changes', 'new_api_key_id', 'expires_at', 'last_used_at']),
    );
    expect(Object.values(details.properties!).every((property) => typeof property.description === 'string' || property.anyOf)).toBe(true);
  });

  it("describes the gateway's own errors next to the handlers'", () => {
    const responses = document.components.responses;
    expect(responses.NotFound!.description).toMatch(/`route_not_found`/);
    expect(responses.BadRequest!.description).toMatch(/`invalid_path`/);
    expect(responses.Unauthorized!.description).toMatch(/\{"status":401,"error":"Unauthorized"\}/);
    expect(responses.PayloadTooLarge!.description).toMatch(/`request_too_large`.*10 MB/);
    expect(responses.BadGateway!.description).toMatch(/`internal_error`/);
    expect(responses.GatewayTimeout!.description).toMatch(/`timeout`/);
    expect(document.components.schemas.Error!.properties!.code!.enum).toEqual(
      expect.arrayContaining(['route_not_found', 'invalid_path', 'request_too_large', 'timeout', 'api_key_not_found']),
    );
    for (const row of OPERATION_LIST) {
      expect([row.entry, Object.keys(operationOf(row.entry).responses)]).toEqual([
        row.entry,
        expect.arrayContaining(['400', '413', '500', '502', '504']),
      ]);
    }
  });

  it('names a server: the local stack, and a deployed stage as a template', () => {
    expect(document.servers.map((server) => server.url)).toEqual([
      'http://127.0.0.1:{port}',
      'https://{rest_api_id}.execute-api.{region}.amazonaws.com/{stage}',
    ]);
  });

  it("derives request bodies from the handlers' own schemas: strict, with the catalog and rotation choices", () => {
    const fields = document.components.schemas.ApiKeyFields!;
    expect(fields.additionalProperties).toBe(false);
    const permissions = fields.properties!.permissions!;
    expect(Object.keys(permissions.properties!)).toEqual(['customer', 'invoice']);
    expect(permissions.additionalProperties).toBe(false);
    const rotation = document.components.schemas.Rotation!;
    expect(rotation.additionalProperties).toBe(false);
    expect(rotation.properties!.expires_in!.enum).toEqual(['now', '1h', '24h', '48h', '7d']);
    expect(rotation.properties!.expires_at!.format).toBe('date-time');
    expect(operationOf('rotate-api-key').requestBody!.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Rotation',
    });
  });

  it('documents If-Match and 412 on PATCH, rotate and DELETE and the settings PATCH only, an ETag on every response that returns one key or the settings, and no-store where a token is', () => {
    const entries = OPERATION_LIST.map((row) => row.entry);
    const withIfMatch = entries.filter((entry) =>
      (operationOf(entry).parameters ?? []).some((p) => p.in === 'header' && p.name === 'If-Match'),
    );
    const with412 = entries.filter((entry) => '412' in operationOf(entry).responses);
    const headersOf = (entry: string) =>
      Object.values(operationOf(entry).responses).flatMap((response) => Object.keys(response.headers ?? {}));
    expect(withIfMatch).toEqual(['update-api-key', 'rotate-api-key', 'delete-api-key', 'update-organization-settings']);
    expect(with412).toEqual(['update-api-key', 'rotate-api-key', 'delete-api-key', 'update-organization-settings']);
    expect(entries.filter((entry) => headersOf(entry).includes('ETag'))).toEqual([
      'create-api-key',
      'get-api-key',
      'reveal-api-key',
      'update-api-key',
      'rotate-api-key',
      'delete-api-key',
      'get-organization-settings',
      'update-organization-settings',
    ]);
    expect(entries.filter((entry) => headersOf(entry).includes('Cache-Control'))).toEqual([
      'create-api-key',
      'reveal-api-key',
      'rotate-api-key',
    ]);
  });

  it('documents 409 conflict on every retried write, and expiry_source on the key object', () => {
    const entries = OPERATION_LIST.map((row) => row.entry);
    expect(entries.filter((entry) => '409' in operationOf(entry).responses)).toEqual(
      OPERATION_LIST.filter((row) => row.method !== 'GET' && row.entry !== 'reveal-api-key').map((row) => row.entry),
    );
    expect(entries.filter((entry) => '409' in operationOf(entry).responses)).toEqual(
      expect.arrayContaining(['create-api-key', 'update-api-key', 'rotate-api-key', 'delete-api-key', 'update-organization-settings']),
    );
    const apiKey = (document.components as { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> }).schemas
      .ApiKey!;
    expect(apiKey.required).toContain('expiry_source');
    expect(apiKey.properties.expiry_source).toMatchObject({ anyOf: [{ enum: ['rotation', 'request', 'policy'] }, { type: 'null' }] });
  });

  it('describes GET /v1/me: the email and each organization with its role', () => {
    const me = successSchema('get-me');
    expect(me.required).toEqual(['email', 'organizations']);
    expect(me.properties!.organizations!.items!.properties!.role!.enum).toEqual(['admin', 'member']);
    expect(me.properties!.organizations!.items!.required).toEqual(['id', 'name', 'role']);
  });
});
