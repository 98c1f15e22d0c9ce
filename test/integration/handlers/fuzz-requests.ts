import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { EXPIRES_IN } from '../../../lambdas/domain/api-key';
import { DEFAULT_RESOURCE_CATALOG, MODES } from '../../../lambdas/domain/permissions';
import { checksumOf } from '../../../lambdas/domain/token';
import type { EntryOperation } from '../../../lambdas/operations/manifest';
import { proxyEvent } from '../../../local/api-gateway-events';
import { overTheWire } from '../../../local/gateway-integration';
import type { AdminAuthorizerContext } from '../../support/api-gateway-events';

/**
 * The requests the management fuzz sends (issue 7): what a client, or an attacker, can put into a
 * request that API Gateway lets through. Path targets are symbolic (`existing key #3`), resolved
 * against the world as it is when the request runs, so a sequence of requests stays meaningful
 * while keys come and go.
 */

/** Names every object inherits, as field, resource, query and header names. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
] as const;

export type OrgTarget = { kind: 'admin' } | { kind: 'member' } | { kind: 'stranger' } | { kind: 'raw'; value: string };
export type KeyTarget = { kind: 'own'; index: number } | { kind: 'foreign'; index: number } | { kind: 'raw'; value: string };

export interface FuzzRequest {
  org: OrgTarget;
  key: KeyTarget;
  /** The body as the client sent it; null for none. */
  body: string | null;
  /** Whether API Gateway hands the body over base64-encoded (binary media types). */
  base64: boolean;
  query: ReadonlyArray<readonly [string, string]>;
  headers: ReadonlyArray<readonly [string, string]>;
}

/** Something shaped like an API key: any possible prefix, and sometimes a valid checksum. */
const tokenShaped = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/),
    fc.stringMatching(/^[0-9A-Za-z]{30}$/),
    fc.stringMatching(/^[0-9A-Za-z]{6}$/),
    fc.boolean(),
  )
  .map(([prefix, random, tail, checksummed]) => `${prefix}_${random}${checksummed ? checksumOf(`${prefix}_${random}`) : tail}`);

/** Short odd strings: any Unicode, path-ish and encoding-ish text, inherited names, tokens. */
const oddText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...PROTOTYPE_NAMES, '', ' ', '%ZZ', '%', '..', '../x', '/', 'a/b', '\u0000', '\uFEFF', 'NaN', 'null', '🔑'),
  tokenShaped,
  fc.tuple(fc.string({ maxLength: 8 }), tokenShaped).map(([text, token]) => `${text}${token}${text}`),
);

/** A JSON string literal, including escapes JSON allows but Unicode does not (lone surrogates). */
const jsonString = fc.oneof(
  { weight: 4, arbitrary: oddText.map((text) => JSON.stringify(text)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => `"key \\u${unit.toString(16)} name"`) },
  { weight: 1, arbitrary: fc.integer({ min: 101, max: 20_000 }).map((length) => JSON.stringify('n'.repeat(length))) },
);

/** Any JSON value, as text. */
const jsonText = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  jsonString,
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1, max: 2_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

/** `{"k": v, …}` from JSON-text values; keys may repeat and may be anything, `__proto__` included. */
const objectText = (entries: ReadonlyArray<readonly [string, string]>) =>
  `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;

const resourceName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...DEFAULT_RESOURCE_CATALOG) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 1, arbitrary: oddText },
);

const modesText = fc.oneof(
  { weight: 4, arbitrary: fc.subarray([...MODES]).map((modes) => JSON.stringify(modes)) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('read', 'write', 'admin', '', 'READ'), { maxLength: 3 }).map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: jsonText },
);

const permissionsText = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(fc.tuple(fc.constantFrom(...DEFAULT_RESOURCE_CATALOG), modesText), { minLength: 1, maxLength: 4 }).map(objectText),
  },
  { weight: 2, arbitrary: fc.array(fc.tuple(resourceName, modesText), { maxLength: 4 }).map(objectText) },
  { weight: 1, arbitrary: jsonText },
);

const nameText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 110 }).map((name) => JSON.stringify(name)) },
  { weight: 2, arbitrary: jsonString },
  { weight: 1, arbitrary: fc.constant('null') },
  { weight: 1, arbitrary: jsonText },
);

/** Near now, far, past, malformed: the rotate handler decides with the real clock. */
const expiresAtText = fc.oneof(
  fc
    .integer({ min: -2 * 24 * 3600, max: 9 * 24 * 3600 })
    .map((seconds) => JSON.stringify(new Date(Date.now() + seconds * 1000).toISOString())),
  fc.constantFrom(
    '"2026-02-30T04:00:00Z"',
    '"tomorrow"',
    '"2036-01-01T00:00:00"',
    '1764129600000',
    '"9999-12-31T23:59:59Z"',
    '"0000-01-01T00:00:00Z"',
  ),
  jsonText,
);

const expiresInText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EXPIRES_IN).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom('"2d"', '"NOW"', '"30d"', '""', '1', 'null') },
  { weight: 1, arbitrary: jsonText },
);

const KNOWN_FIELDS = {
  name: nameText,
  permissions: permissionsText,
  expires_in: expiresInText,
  expires_at: expiresAtText,
} as const;
export type FieldName = keyof typeof KNOWN_FIELDS;

/** Fields of a body: mostly the route's own, then the other routes', inherited names and anything. */
function fieldEntry(own: readonly FieldName[]) {
  const known = (names: readonly FieldName[]) =>
    fc.constantFrom(...names).chain((name) => KNOWN_FIELDS[name].map((value) => [name, value] as const));
  const others = (Object.keys(KNOWN_FIELDS) as FieldName[]).filter((name) => !own.includes(name));
  return fc.oneof(
    ...(own.length > 0 ? [{ weight: 6, arbitrary: known(own) }] : []),
    { weight: 1, arbitrary: known(others) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTOTYPE_NAMES), jsonText) },
    { weight: 1, arbitrary: fc.tuple(oddText, jsonText) },
  );
}

/** Bodies: objects of known and unknown fields, any JSON, deep, huge, not JSON at all, or nothing. */
function body(own: readonly FieldName[]): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(fieldEntry(own), { maxLength: 3 }).map(objectText) },
    { weight: 2, arbitrary: jsonText },
    {
      weight: 1,
      arbitrary: fc.constantFrom(null, '', ' ', '\n', '{}', 'null', '[]', '""', '0', 'true', '\uFEFF{}', '{"name":', '{,}', 'NaN'),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 17_000 }).map((length) => `{"name":${JSON.stringify('x'.repeat(length))}}`) },
  );
}

const queryName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('limit', 'cursor') },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 1, arbitrary: oddText },
);
const queryValue = fc.oneof(
  fc.constantFrom('0', '1', '2', '100', '101', '-1', '1.5', '1e2', ' 5', '05', '0005', '', 'null', '__proto__'),
  fc.nat().map(String),
  fc.string({ maxLength: 40 }).map((text) => Buffer.from(`KEY#${text}`).toString('base64url')),
  fc.string({ maxLength: 40 }).map((text) => Buffer.from(`EVENT#${text}`).toString('base64url')),
  fc.base64String({ maxLength: 300 }),
  oddText,
);

const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE', 'if-match', 'If-Match', 'IF-MATCH', 'iF-mAtCh') },
  { weight: 1, arbitrary: fc.constantFrom('If-None-Match', 'Authorization', 'X-Api-Key', 'Content-Length', 'Host', ...PROTOTYPE_NAMES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/) },
);
const headerValue = fc.oneof(
  fc.constantFrom(
    '*',
    '"1"',
    '"2"',
    'W/"1"',
    '"',
    '""',
    '"1", "2"',
    '*, "1"',
    'application/json',
    'text/plain',
    'application/json; charset=utf-16',
    '',
  ),
  fc.nat({ max: 10 }).map((version) => `"${version}"`),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  oddText,
);

const orgTarget: fc.Arbitrary<OrgTarget> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'admin' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'member' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stranger' } as const) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(oddText, fc.constantFrom('FUZZ', 'fuzz ', 'fuzz/', 'fuzz%2F', 'ORG#fuzz', `a${'b'.repeat(3000)}`))
      .map((value) => ({ kind: 'raw', value }) as const),
  },
);

const keyTarget: fc.Arbitrary<KeyTarget> = fc.oneof(
  { weight: 8, arbitrary: fc.nat().map((index) => ({ kind: 'own', index }) as const) },
  { weight: 1, arbitrary: fc.nat().map((index) => ({ kind: 'foreign', index }) as const) },
  { weight: 1, arbitrary: fc.ulid().map((value) => ({ kind: 'raw', value }) as const) },
  { weight: 2, arbitrary: oddText.map((value) => ({ kind: 'raw', value }) as const) },
);

/** Requests for a route whose body takes the fields `own` (none for the routes without a body). */
export function fuzzRequest(own: readonly FieldName[]): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    org: orgTarget,
    key: keyTarget,
    body: body(own),
    base64: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    query: fc.oneof(
      { weight: 2, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(fc.tuple(queryName, queryValue), { maxLength: 4 }) },
    ),
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
  });
}

export interface ResolvedRequest {
  route: EntryOperation;
  organizationId: string;
  apiKeyId: string;
  request: FuzzRequest;
  authorizer: AdminAuthorizerContext;
}

/**
 * The REST v1 proxy event for this request, built as the local gateway builds it from the request's
 * query and header pairs (any name, repeated or not) and delivered as the Lambda runtime delivers
 * it: as JSON, so a `__proto__` name is an own entry (issue 16 item 3).
 */
export function proxyEventFor({ route, organizationId, apiKeyId, request, authorizer }: ResolvedRequest): APIGatewayProxyEvent {
  const pathParameters: Record<string, string> = { organization_id: organizationId };
  if (route.path.includes('{api_key_id}')) pathParameters.api_key_id = apiKeyId;
  const body = request.body === null ? null : request.base64 ? Buffer.from(request.body, 'utf8').toString('base64') : request.body;
  return overTheWire(
    proxyEvent({
      method: route.method,
      resource: route.path,
      pathParameters,
      headers: [['Host', 'api.example.test'], ['User-Agent', 'keyward-fuzz'], ...request.headers],
      query: request.query,
      body,
      isBase64Encoded: request.base64 && body !== null,
      authorizer: { principalId: authorizer.email ?? 'anonymous', context: { ...authorizer } },
    }),
  );
}

const plain = { org: { kind: 'admin' }, key: { kind: 'own', index: 0 }, body: null, base64: false, query: [], headers: [] } as const;

/** The requests issue 7 reported, run first on every route in every run, whatever the seed. */
export const REPORTED_REQUESTS: readonly FuzzRequest[] = [
  ...PROTOTYPE_NAMES.map((name) => ({ ...plain, body: `{${JSON.stringify(name)}:1}` })),
  { ...plain, body: '{"name":"ci","__proto__":{"permissions":{"customer":["read"]}}}' },
  { ...plain, body: '{"permissions":{"customer":["read"],"__proto__":["write"]}}' },
  { ...plain, body: 'null' },
  { ...plain, body: 'null', base64: true },
  { ...plain, body: `{"name":"old kw_${'A1b2C3d4E5'.repeat(3)}abcdef key"}` },
  {
    ...plain,
    query: [
      ['__proto__', '1'],
      ['limit', '__proto__'],
      ['cursor', 'constructor'],
    ],
  },
  {
    ...plain,
    headers: [
      ['If-Match', '__proto__'],
      ['__proto__', 'x'],
      ['If-Match', '"1"'],
    ],
  },
  { ...plain, org: { kind: 'raw', value: '%ZZ' }, key: { kind: 'raw', value: '%ZZ' } },
  { ...plain, key: { kind: 'raw', value: '__proto__' } },
];
