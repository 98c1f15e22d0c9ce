import { randomUUID } from 'node:crypto';
import { LocalSecretBox } from '../../lambdas/adapters/local-secret-box';
import type { Role } from '../../lambdas/domain/ports';
import { createOperator } from '../../lambdas/runtime/operator';
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

/** A management API call as an admin (`jwt`). `body` objects are sent as JSON, strings as is. */
export function admin<T = Body>(
  method: string,
  path: string,
  options: { jwt?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.jwt !== undefined) headers.authorization = `Bearer ${options.jwt}`;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return call<T>(path, { method, headers, ...(body === undefined ? {} : { body }) });
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

function operator() {
  return createOperator({
    tableName: stack.tableName,
    dynamodb: localClientConfig(stack.dynamodbEndpoint, stack.dynamodbAccessKeyId),
    secrets: new LocalSecretBox(readMasterKey(stack.stateDir)),
  });
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
  const ops = operator();
  try {
    const created = await ops.organizations.create({ name: label, id, admins: [adminEmail] });
    return {
      id,
      adminEmail,
      jwt: await mintJwt({ email: adminEmail }),
      key: created.api_key.value,
      keyId: created.api_key.id,
      keysPath: `/v1/organizations/${id}/api_keys`,
    };
  } finally {
    ops.close();
  }
}

export async function addMember(organizationId: string, email: string, role: Role): Promise<void> {
  const ops = operator();
  try {
    await ops.organizations.addMember(organizationId, email, role);
  } finally {
    ops.close();
  }
}

export const UNAUTHORIZED = { status: 401, error: 'Unauthorized' };
