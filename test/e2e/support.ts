import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { LocalSecretBox } from '../../lambdas/adapters/local-secret-box';
import type { Role } from '../../lambdas/domain/ports';
import { createOperator, type Operator } from '../../lambdas/runtime/operator';
import { createDevIssuer, type DevIssuer, type MintOptions } from '../../local/dev-issuer';
import { localClientConfig } from '../../local/dynamodb-local';
import { readMasterKey } from '../../local/state';
import { type E2eStack, e2eStack } from '../support/local-stack';

/** Helpers for e2e tests: HTTP against the running local stack, plus operator set-up on its table. */
export const stack: E2eStack = e2eStack();

/** Bodies are asserted field by field with `toEqual`/`toMatchObject`, so they are loosely typed. */
// biome-ignore lint/suspicious/noExplicitAny: e2e bodies are asserted with toEqual/toMatchObject, not through types.
export type Body = any;

export interface Reply<T = Body> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T>(path: string, init: RequestInit): Promise<Reply<T>> {
  const response = await fetch(`${stack.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

/**
 * A management API call as an admin (`jwt`). `body` objects are sent as JSON, strings as is.
 * Every answer is checked against the OpenAPI document the stack serves (`expectDocumented`).
 */
export async function admin<T = Body>(
  method: string,
  path: string,
  options: { jwt?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.jwt !== undefined) headers.authorization = `Bearer ${options.jwt}`;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const reply = await call<T>(path, { method, headers, ...(body === undefined ? {} : { body }) });
  await expectDocumented(method, path, reply);
  return reply;
}

interface DocumentedResponse {
  $ref?: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, unknown>;
}
interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>>;
  components: { responses: Record<string, DocumentedResponse> };
}

const DOCUMENT_ID = 'https://keyward.test/openapi.json';
let contract: Promise<{ document: OpenApi; ajv: Ajv2020 }> | undefined;

/** The document the running stack serves, with an ajv (JSON Schema 2020-12, as OpenAPI 3.1) that resolves its $refs. */
function loadContract(): Promise<{ document: OpenApi; ajv: Ajv2020 }> {
  contract ??= (async () => {
    const document = (await (await fetch(`${stack.url}/openapi.json`)).json()) as OpenApi;
    // Not strict: the document's own fields (paths, info, …) are no schema keywords.
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(document as object, DOCUMENT_ID);
    return { document, ajv };
  })();
  return contract;
}

/** A path template as a pattern: each `{parameter}` is one path segment. */
const templatePattern = (template: string) =>
  new RegExp(
    `^${template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );

/** A JSON pointer to `segments`, as a URI fragment of the document. */
const pointer = (...segments: string[]) =>
  `${DOCUMENT_ID}#/${segments.map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;

/**
 * Fails unless the document describes this answer: the operation found by method and path
 * template, the status among its responses, the body valid against that response's schema, and
 * every header it requires present and valid. A method and path the document does not have must
 * be the gateway's 404 route_not_found.
 */
export async function expectDocumented(method: string, path: string, reply: Reply<unknown>): Promise<void> {
  const { document, ajv } = await loadContract();
  const target = path.split('?')[0]!;
  const template = Object.keys(document.paths).find((candidate) => templatePattern(candidate).test(target));
  const operation = template === undefined ? undefined : document.paths[template]![method.toLowerCase()];
  const check = (schemaRef: string, value: unknown, what: string) => {
    const validate = ajv.getSchema(schemaRef);
    if (!validate) throw new Error(`${what}: no schema at ${schemaRef}`);
    if (!validate(value))
      throw new Error(`${method} ${path} → ${reply.status}: ${what} is not as documented: ${ajv.errorsText(validate.errors)}`);
  };
  if (!template || !operation) {
    check(pointer('components', 'schemas', 'Error'), reply.body, 'the body of an undocumented route');
    expect([method, path, reply.status, (reply.body as { code?: string } | null)?.code]).toEqual([method, path, 404, 'route_not_found']);
    return;
  }
  let response = operation.responses[String(reply.status)];
  let at = ['paths', template, method.toLowerCase(), 'responses', String(reply.status)];
  if (response?.$ref) {
    const name = response.$ref.split('/').pop()!;
    response = document.components.responses[name];
    at = ['components', 'responses', name];
  }
  if (!response) throw new Error(`${method} ${template} does not document status ${reply.status}: ${JSON.stringify(reply.body)}`);
  check(pointer(...at, 'content', 'application/json', 'schema'), reply.body, 'the body');
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const value = reply.headers.get(name);
    if (value === null && header.required) throw new Error(`${method} ${path} → ${reply.status}: the ${name} header is missing`);
    if (value !== null) check(pointer(...at, 'headers', name, 'schema'), value, `the ${name} header`);
  }
}

/** A consumer call to the example protected API with `key` in `x-api-key` (or no key). */
export function consumer<T = Body>(method: string, path: string, key?: string, headers: Record<string, string> = {}): Promise<Reply<T>> {
  return call<T>(path, { method, headers: { ...(key === undefined ? {} : { 'x-api-key': key }), ...headers } });
}

let issuer: Promise<DevIssuer> | undefined;

/** A JWT from the stack's own dev issuer (same signing key). */
export async function mintJwt(options: MintOptions): Promise<string> {
  issuer ??= createDevIssuer({ stateDir: stack.stateDir, issuer: stack.issuer, audience: stack.audience });
  return (await issuer).mint(options);
}

/** Runs `use` with the operator's services on the stack's table (as the CLI would). */
export async function withOperator<T>(use: (operator: Operator) => Promise<T>): Promise<T> {
  const ops = createOperator({
    tableName: stack.tableName,
    dynamodb: localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId),
    secrets: new LocalSecretBox(readMasterKey(stack.stateDir)),
  });
  try {
    return await use(ops);
  } finally {
    ops.close();
  }
}

export interface TestOrganization {
  id: string;
  adminEmail: string;
  jwt: string;
  key: string;
  keyId: string;
  keysPath: string;
}

/** A fresh organization per test file, so parallel files never share keys or limits. */
export async function newOrganization(label: string): Promise<TestOrganization> {
  const id = `${label}-${randomUUID().slice(0, 8)}`;
  const adminEmail = `admin@${id}.test`;
  const created = await withOperator((ops) => ops.organizations.create({ name: label, id, admins: [adminEmail] }));
  return {
    id,
    adminEmail,
    jwt: await mintJwt({ email: adminEmail }),
    key: created.api_key.value,
    keyId: created.api_key.id,
    keysPath: `/v1/organizations/${id}/api_keys`,
  };
}

export async function addMember(organizationId: string, email: string, role: Role): Promise<void> {
  await withOperator((ops) => ops.organizations.addMember(organizationId, email, role));
}

export async function removeMember(organizationId: string, email: string): Promise<void> {
  await withOperator((ops) => ops.organizations.removeMember(organizationId, email));
}

export const UNAUTHORIZED = { status: 401, error: 'Unauthorized' };
