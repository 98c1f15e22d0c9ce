import type { z } from 'zod';
import { MAX_LEAK_REPORT_BYTES } from '../domain/leak';
import {
  apiKeyPageSchema,
  apiKeyResponseSchema,
  auditEventPageSchema,
  meSchema,
  openApiDocumentSchema,
  organizationSettingsResponseSchema,
  revealedApiKeyResponseSchema,
  rotationResponseSchema,
  secretScanningVerdictsSchema,
  usageResponseSchema,
} from '../http/response-schemas';
import {
  apiKeyFieldsSchema,
  newApiKeySchema,
  organizationSettingsPatchSchema,
  pageQuerySchema,
  rotateApiKeySchema,
  secretScanningReportSchema,
  usageQuerySchema,
} from '../http/schemas';

/**
 * The operation manifest (DESIGN.md "Operation manifest", STYLE.md rule 13): every operation of
 * the management API, once. Everything else derives from a row:
 *   - the CDK stack: the route, the function (`lambdas/<entry>.ts`), its authorizer or none, and
 *     its IAM grants (lib/constructs/management-api.ts);
 *   - the runtime: what the handler's services get, how its request is parsed and its response
 *     sent (runtime/operation.ts);
 *   - the local gateway's routing (local/gateway-routing.ts) and the OpenAPI document (operations/openapi.ts);
 *   - the tests' types, and the check that each handler needs exactly what its row grants.
 * Adding an endpoint is one row here and one handler file. Data and zod schemas only: lib/ imports
 * this at synth time, so nothing here may pull in an SDK client.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The DynamoDB actions a function may be granted on the table (a transaction is authorized item by item). */
export type TableAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

/**
 * Who may call an operation:
 *   - `organization-admin`: an admin of the organization in the path (API.md §3: a member gets
 *     403 admin_role_required, anyone else 404 organization_not_found);
 *   - `admin`: anyone with a valid admin JWT (verified email), whatever their memberships;
 *   - `public`: anyone, no authorizer (a handler that acts on what it is sent checks its own
 *     credential first, as the secret-scanning endpoint checks the report's signature).
 */
export type AuthKind = 'organization-admin' | 'admin' | 'public';

export interface Operation {
  readonly method: HttpMethod;
  readonly path: string;
  /** OpenAPI summary and the function's description. */
  readonly summary: string;
  readonly auth: AuthKind;
  /** The JSON body's schema, given the deployment's resource catalog; no body is read without one. */
  readonly body?: (catalog: readonly string[]) => z.ZodType;
  readonly query?: z.ZodType;
  readonly status: 200 | 201;
  /** The success body; the handler's return type is `z.input` of it. */
  readonly response: z.ZodType;
  /** The response carries the key's (or the settings') version as `ETag` (the handler returns it). */
  readonly etag?: boolean;
  /** Accepts `If-Match` (412 when the key, or the settings, changed since). */
  readonly ifMatch?: boolean;
  /** The response carries a token: `Cache-Control: no-store`. */
  readonly noStore?: boolean;
  /** Exactly the actions the handler needs, and all its function is granted on the table. */
  readonly table: readonly TableAction[];
  /** Encrypts (create, rotate) or decrypts (reveal) tokens with the token key. */
  readonly kms?: 'encrypt' | 'decrypt';
  /**
   * The request is signed by a secret-scanning partner (API.md §10): the function is told where
   * the signer's public keys are (`SECRET_SCANNING_KEYS_URL`), checks the signature over the raw
   * body first, and only then parses it with `body`.
   */
  readonly signed?: { readonly by: 'secret-scanning'; readonly body: z.ZodType };
  /** The largest request body accepted, in bytes. @default 16 KiB (API.md §3 Limits) */
  readonly maxBodyBytes?: number;
  /** `manage`: creates and deletes lifecycle schedules (create, update, rotate); `remove`: deletes them only (delete). */
  readonly schedules?: 'manage' | 'remove';
  /**
   * Answers the settings' `quota_used` (API.md §9): on a stage with plans, the function reads it
   * from API Gateway (GetUsage on the stage's usage plans, `USAGE_PLAN_IDS`), and is granted that.
   */
  readonly quotaUsage?: true;
}

const KEYS = '/v1/organizations/{organization_id}/api_keys';
const KEY = `${KEYS}/{api_key_id}` as const;
const SETTINGS = '/v1/organizations/{organization_id}/settings';

/** Keyed by entry: `lambdas/<entry>.ts` handles the row, and its function is `keyward-<stage>-<entry>`. */
export const OPERATIONS = {
  'list-api-keys': {
    method: 'GET',
    path: KEYS,
    summary: "Lists an organization's API keys, oldest first",
    auth: 'organization-admin',
    query: pageQuerySchema,
    status: 200,
    response: apiKeyPageSchema,
    // Query for the page; GetItem for each key's last_used_at, which lives on its hot item.
    table: ['Query', 'GetItem'],
  },
  'create-api-key': {
    method: 'POST',
    path: KEYS,
    summary: 'Creates an API key, optionally expiring (emails the admins)',
    auth: 'organization-admin',
    body: newApiKeySchema,
    status: 201,
    response: revealedApiKeyResponseSchema,
    etag: true,
    noStore: true,
    // GetItem: the organization's key policy, and telling the key limit from an unknown organization.
    table: ['UpdateItem', 'PutItem', 'GetItem'],
    kms: 'encrypt',
    // An expiring key's retirement and reminder jobs.
    schedules: 'manage',
  },
  'get-api-key': {
    method: 'GET',
    path: KEY,
    summary: 'Gets an API key (never its token)',
    auth: 'organization-admin',
    status: 200,
    response: apiKeyResponseSchema,
    etag: true,
    table: ['GetItem'],
  },
  'reveal-api-key': {
    method: 'POST',
    path: `${KEY}/reveal`,
    summary: "Reveals an API key's token (audited)",
    auth: 'organization-admin',
    status: 200,
    response: revealedApiKeyResponseSchema,
    etag: true,
    noStore: true,
    // PutItem: the `api_key.revealed` audit event.
    table: ['GetItem', 'PutItem'],
    kms: 'decrypt',
  },
  'update-api-key': {
    method: 'PATCH',
    path: KEY,
    summary: 'Renames an API key, changes its permissions, or sets, moves or clears its expiry (only the fields given)',
    auth: 'organization-admin',
    body: apiKeyFieldsSchema,
    status: 200,
    response: apiKeyResponseSchema,
    etag: true,
    ifMatch: true,
    table: ['GetItem', 'UpdateItem', 'PutItem'],
    // A new expiry's jobs, and removing the previous one's.
    schedules: 'manage',
  },
  'rotate-api-key': {
    method: 'POST',
    path: `${KEY}/rotate`,
    summary: "Rotates an API key now or on a schedule (emails the admins); the ETag is the new key's",
    auth: 'organization-admin',
    body: () => rotateApiKeySchema,
    status: 200,
    response: rotationResponseSchema,
    etag: true,
    ifMatch: true,
    noStore: true,
    table: ['GetItem', 'UpdateItem', 'DeleteItem', 'PutItem'],
    kms: 'encrypt',
    schedules: 'manage',
  },
  'delete-api-key': {
    method: 'DELETE',
    path: KEY,
    summary: 'Deletes an API key (never the last non-expiring one; emails the admins)',
    auth: 'organization-admin',
    status: 200,
    response: apiKeyResponseSchema,
    etag: true,
    ifMatch: true,
    table: ['GetItem', 'DeleteItem', 'UpdateItem', 'PutItem'],
    // A key deleted while its rotation is pending takes its retirement job with it.
    schedules: 'remove',
  },
  'list-audit-events': {
    method: 'GET',
    path: '/v1/organizations/{organization_id}/audit_events',
    summary: "Lists an organization's audit events, newest first",
    auth: 'organization-admin',
    query: pageQuerySchema,
    status: 200,
    response: auditEventPageSchema,
    table: ['Query'],
  },
  'get-organization-settings': {
    method: 'GET',
    path: SETTINGS,
    summary: "An organization's key policy: maximum key lifetime and expiry reminder marks",
    auth: 'organization-admin',
    status: 200,
    response: organizationSettingsResponseSchema,
    etag: true,
    table: ['GetItem'],
    quotaUsage: true,
  },
  'update-organization-settings': {
    method: 'PATCH',
    path: SETTINGS,
    summary: "Changes an organization's key policy (only the fields given; existing keys keep their expiry; audited)",
    auth: 'organization-admin',
    body: () => organizationSettingsPatchSchema,
    status: 200,
    response: organizationSettingsResponseSchema,
    etag: true,
    ifMatch: true,
    // UpdateItem + PutItem: the organization item and the `organization.settings_updated` event, in one transaction.
    table: ['GetItem', 'UpdateItem', 'PutItem'],
    quotaUsage: true,
  },
  'get-organization-usage': {
    method: 'GET',
    path: '/v1/organizations/{organization_id}/usage',
    summary: "An organization's requests per key and hour or day: allowed, denied by code, throttled (from the access log)",
    auth: 'organization-admin',
    query: usageQuerySchema,
    status: 200,
    response: usageResponseSchema,
    // The counters the usage aggregator keeps, in the organization's usage partition.
    table: ['Query'],
  },
  'get-me': {
    method: 'GET',
    path: '/v1/me',
    summary: "The caller's email and the organizations they belong to",
    auth: 'admin',
    status: 200,
    response: meSchema,
    table: ['Query'],
  },
  'report-secret-scanning': {
    method: 'POST',
    path: '/v1/secret_scanning/github',
    summary: 'GitHub secret-scanning partner endpoint: rotates, or reports to the admins, keys found in public (signed by GitHub)',
    auth: 'public',
    signed: { by: 'secret-scanning', body: secretScanningReportSchema },
    status: 200,
    response: secretScanningVerdictsSchema,
    maxBodyBytes: MAX_LEAK_REPORT_BYTES,
    // GetItem: the leak record, the hot item, the key, the settings; the rest is an instant rotation
    // (as rotate-api-key) and the leak record, written with it.
    table: ['GetItem', 'UpdateItem', 'DeleteItem', 'PutItem'],
    kms: 'encrypt',
    // The new key's jobs under a lifetime policy; removing a superseded rotation's.
    schedules: 'manage',
  },
  'get-openapi': {
    method: 'GET',
    path: '/openapi.json',
    summary: "This API's OpenAPI document, with the deployment's permission catalog",
    auth: 'public',
    status: 200,
    response: openApiDocumentSchema,
    table: [],
  },
} as const satisfies Record<string, Operation>;

export type Entry = keyof typeof OPERATIONS;

/** One operation with its entry. */
export type EntryOperation<E extends Entry = Entry> = (typeof OPERATIONS)[E] & { readonly entry: E };

/** The rows in declaration order: routes are added and documented in this order. */
export const OPERATION_LIST: readonly EntryOperation[] = Object.entries(OPERATIONS).map(
  ([entry, operation]) => ({ ...operation, entry }) as EntryOperation,
);

/** The names of a path template's parameters: `'organization_id' | 'api_key_id'` for a key's path. */
export type PathParameters<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParameters<Rest>
  : never;
