import { ValidationFailed } from '../../../lambdas/domain/errors';
import { DEFAULT_RESOURCE_CATALOG } from '../../../lambdas/domain/permissions';
import { checksumOf, generateToken } from '../../../lambdas/domain/token';
import { apiKeyFieldsSchema, newApiKeySchema, pageQuerySchema, rotateApiKeySchema } from '../../../lambdas/http/schemas';
import { parseWith } from '../../../lambdas/http/validation';

const fieldsSchema = apiKeyFieldsSchema(DEFAULT_RESOURCE_CATALOG);

/** The `error_details` a parse produces, or a failure when it parses. */
function detailsOf(run: () => unknown): Record<string, string[]> {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationFailed) return error.details;
    throw error;
  }
  throw new Error('expected a validation failure');
}

describe('create and update bodies', () => {
  it('accepts an empty body: every field is optional', () => {
    expect(parseWith(fieldsSchema, {})).toEqual({});
  });

  it('trims the name and turns an empty name into null', () => {
    expect(parseWith(fieldsSchema, { name: '  ci  ' })).toEqual({ name: 'ci' });
    expect(parseWith(fieldsSchema, { name: '   ' })).toEqual({ name: null });
    expect(parseWith(fieldsSchema, { name: null })).toEqual({ name: null });
  });

  it('accepts a name of 100 characters, counting code points', () => {
    expect(parseWith(fieldsSchema, { name: '🔑'.repeat(100) })).toEqual({ name: '🔑'.repeat(100) });
  });

  it('refuses a name over 100 characters', () => {
    expect(detailsOf(() => parseWith(fieldsSchema, { name: 'x'.repeat(101) }))).toEqual({ name: ['must be at most 100 characters'] });
  });

  it('refuses a name with a lone surrogate, which is not text', () => {
    expect(detailsOf(() => parseWith(fieldsSchema, JSON.parse('{"name":"key \\ud800 name"}')))).toEqual({
      name: ['must be valid Unicode text'],
    });
    expect(parseWith(fieldsSchema, { name: 'clé 🔑' })).toEqual({ name: 'clé 🔑' });
  });

  it('refuses a name that is not a string', () => {
    expect(detailsOf(() => parseWith(fieldsSchema, { name: 42 }))).toEqual({ name: ['must be a string or null'] });
  });

  it('normalizes permissions', () => {
    expect(parseWith(fieldsSchema, { permissions: { invoice: ['write', 'read'], customer: [] } })).toEqual({
      permissions: { customer: [], invoice: ['read', 'write'] },
    });
  });

  it.each([
    ['an unknown resource', { spaceship: ['read'] }],
    ['a mode other than read/write', { customer: ['delete'] }],
    ['an empty object', {}],
    ['a list instead of an object', ['customer']],
    ['modes that are not a list', { customer: 'read' }],
  ])('refuses permissions with %s, keyed by "permissions"', (_, permissions) => {
    const details = detailsOf(() => parseWith(fieldsSchema, { permissions }));
    expect(Object.keys(details)).toEqual(['permissions']);
    expect(details.permissions!.length).toBeGreaterThan(0);
  });

  it('names the nested place of a permissions problem in the reason', () => {
    expect(detailsOf(() => parseWith(fieldsSchema, { permissions: { customer: ['delete'] } }))).toEqual({
      permissions: ['customer[0]: must be one of read, write'],
    });
  });

  it('refuses unknown fields by name', () => {
    expect(detailsOf(() => parseWith(fieldsSchema, { name: 'ci', value: 'kw_x', owner: 'me' }))).toEqual({
      value: ['is not a known field'],
      owner: ['is not a known field'],
    });
  });

  it('reports every bad field at once', () => {
    const details = detailsOf(() => parseWith(fieldsSchema, { name: 7, permissions: {} }));
    expect(Object.keys(details).sort()).toEqual(['name', 'permissions']);
  });

  it.each([[[]], ['text'], [null], [3]])('refuses a body that is not an object (%p)', (body) => {
    expect(detailsOf(() => parseWith(fieldsSchema, body))).toEqual({ body: ['must be a JSON object'] });
  });
});

/** Names an object inherits: as JSON fields they must still be plain unknown fields. */
const PROTOTYPE_NAMES = [
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
  '__lookupSetter__',
];

/** `{"<name>": value}` as JSON.parse builds it: an own property even for `__proto__`, which an object literal cannot make. */
const jsonObject = (name: string, value: unknown): Record<string, unknown> =>
  JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)}}`) as Record<string, unknown>;

describe('field names that objects inherit (issue 7 item 3)', () => {
  it.each(PROTOTYPE_NAMES)('names an unknown body field %s in a 422', (name) => {
    for (const schema of [fieldsSchema, fieldsSchema, rotateApiKeySchema]) {
      const details = detailsOf(() => parseWith(schema, jsonObject(name, 1)));
      expect(JSON.stringify(details)).toBe(JSON.stringify(jsonObject(name, ['is not a known field'])));
    }
  });

  it.each(PROTOTYPE_NAMES)('names a permissions resource %s as unknown', (name) => {
    const details = detailsOf(() => parseWith(fieldsSchema, { permissions: jsonObject(name, ['read']) }));
    expect(JSON.stringify(details)).toBe(JSON.stringify({ permissions: [`${name}: is not a known resource`] }));
  });

  it('does not drop a __proto__ resource given next to a known one', () => {
    const permissions = JSON.parse('{"customer":["read"],"__proto__":["write"]}') as unknown;
    expect(detailsOf(() => parseWith(fieldsSchema, { permissions }))).toEqual({ permissions: ['__proto__: is not a known resource'] });
  });

  it('keeps a parsed body free of inherited names', () => {
    const parsed = parseWith(fieldsSchema, { name: 'ci', permissions: { customer: ['read'] } });
    expect(Object.keys(parsed.permissions!)).toEqual(['customer']);
    expect(Object.getPrototypeOf(parsed.permissions)).toBe(Object.prototype);
  });
});

describe('a name that holds an API key (issue 7 item 4)', () => {
  const token = generateToken('kw');
  const shaped = (prefix: string, random = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5') => `${prefix}_${random}${checksumOf(`${prefix}_${random}`)}`;

  it.each([
    ['a token', token],
    ['a token inside other text', `old key ${token} (do not use)`],
    ['a token glued to other text', `x${token}y`],
    ['a token of another deployment prefix', shaped('sk')],
    ['a token with a 16-character prefix', shaped('abcdefghijklmnop')],
    ['a token-shaped string with a wrong checksum', `kw_${'a'.repeat(36)}`],
  ])('refuses %s without echoing it', (_, name) => {
    for (const schema of [fieldsSchema, fieldsSchema]) {
      const details = detailsOf(() => parseWith(schema, { name }));
      expect(details).toEqual({ name: ['must not contain an API key'] });
    }
  });

  it.each([
    ['35 characters after the prefix', `kw_${'a'.repeat(35)}`],
    ['no prefix', `_${'a'.repeat(36)}`],
    ['an upper-case prefix', `KW_${'a'.repeat(36)}`],
    ['a separator inside', `kw_${'a'.repeat(18)}-${'a'.repeat(18)}`],
    ['an ordinary snake_case name', 'billing_sync_production'],
  ])('accepts a name with %s', (_, name) => {
    expect(parseWith(fieldsSchema, { name })).toEqual({ name });
  });

  it('never echoes a token given as a field name or resource name', () => {
    const details = detailsOf(() => parseWith(fieldsSchema, { ...jsonObject(token, 1), permissions: jsonObject(token, ['read']) }));
    expect(JSON.stringify(details)).not.toContain(token);
    expect(Object.keys(details)).toHaveLength(2);
  });
});

describe('allowed_ips (API.md §9)', () => {
  const newKeySchema = newApiKeySchema(DEFAULT_RESOURCE_CATALOG);

  it.each([
    [['203.0.113.0/24'], ['203.0.113.0/24']],
    [['198.51.100.7'], ['198.51.100.7/32']],
    [['2001:DB8:0:0::/32'], ['2001:db8::/32']],
    [['2001:db8::5'], ['2001:db8::5/128']],
    [[' 10.0.0.0/8 '], ['10.0.0.0/8']],
    [['::ffff:203.0.113.0/120'], ['203.0.113.0/24']],
    [['10.0.0.0/8', '10.0.0.0/8'], ['10.0.0.0/8']],
    [
      ['0.0.0.0/0', '::/0'],
      ['0.0.0.0/0', '::/0'],
    ],
  ])('accepts %j on create and PATCH, stored as %j', (given, stored) => {
    expect(parseWith(newKeySchema, { allowed_ips: given })).toEqual({ allowed_ips: stored });
    expect(parseWith(fieldsSchema, { allowed_ips: given })).toEqual({ allowed_ips: stored });
  });

  it('accepts null (any source address) and 20 blocks', () => {
    expect(parseWith(fieldsSchema, { allowed_ips: null })).toEqual({ allowed_ips: null });
    const twenty = Array.from({ length: 20 }, (_, i) => `10.${i}.0.0/16`);
    expect(parseWith(fieldsSchema, { allowed_ips: twenty })).toEqual({ allowed_ips: twenty });
  });

  it.each<[string, unknown]>([
    ['an empty list', []],
    ['21 blocks', Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`)],
    ['a prefix too long for IPv4', ['203.0.113.0/33']],
    ['a prefix too long for IPv6', ['2001:db8::/129']],
    ['a host name', ['example.com']],
    ['an IPv4 shorthand', ['10.1']],
    ['a hexadecimal IPv4 address', ['0x0a000001']],
    ['an address range', ['10.0.0.1-10.0.0.9']],
    ['an empty string', ['']],
    ['a number', [167772161]],
    ['a string, not a list', '203.0.113.0/24'],
  ])('refuses %s with a 422 naming allowed_ips', (_, allowed_ips) => {
    const details = detailsOf(() => parseWith(fieldsSchema, { allowed_ips }));
    expect(Object.keys(details)).toEqual(['allowed_ips']);
    expect(details.allowed_ips?.length).toBeGreaterThan(0);
  });
});

describe('a name with control or bidirectional formatting characters (issue 16 item 4)', () => {
  const REASON = 'must not contain control characters or bidirectional formatting characters';
  const newSchema = newApiKeySchema(DEFAULT_RESOURCE_CATALOG);

  it.each([
    ['an ESC sequence (erase the screen)', 'ci\u001b[2J\u001b[Hgone'],
    ['OSC 52 (set the clipboard)', 'ci\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007'],
    ['CR and LF (a forged line)', 'ci\r\nBy: security@acme.test'],
    ['a trailing LF that trimming would drop', 'ci\n'],
    ['a NUL', 'ci\u0000'],
    ['DEL', 'ci\u007f'],
    ['a C1 control (8-bit CSI)', 'ci\u009b2J'],
    ['the first C1 control', 'ci\u0080'],
    ['a right-to-left override', 'invoice\u202efdp.exe'],
    ['a left-to-right embedding', '\u202aci'],
    ['a pop directional formatting', 'ci\u202c'],
    ['a first strong isolate', 'ci\u2068x'],
    ['a left-to-right isolate', 'ci\u2066x'],
    ['a pop directional isolate', 'ci\u2069'],
  ])('refuses %s on create and update', (_, name) => {
    for (const schema of [fieldsSchema, newSchema]) {
      expect(detailsOf(() => parseWith(schema, { name }))).toEqual({ name: [REASON] });
    }
  });

  it.each([
    ['a tab-free name with punctuation', 'CI / prod (read-only) #2'],
    ['accents and emoji', 'clé 🔑 ü'],
    ['right-to-left text without overrides', 'מפתח ראשי'],
    ['a zero-width joiner sequence', '👩‍💻 team'],
  ])('accepts %s', (_, name) => {
    expect(parseWith(fieldsSchema, { name })).toEqual({ name });
  });
});

describe('rotate body', () => {
  it('treats an empty body as an instant rotation (Lago default)', () => {
    expect(parseWith(rotateApiKeySchema, {})).toEqual({ expires_in: 'now' });
  });

  it.each(['now', '1h', '24h', '48h', '7d'])('accepts expires_in %s', (expiresIn) => {
    expect(parseWith(rotateApiKeySchema, { expires_in: expiresIn })).toEqual({ expires_in: expiresIn });
  });

  it.each(['2026-11-27T04:00:00Z', '2026-11-27T04:00:00.000Z', '2026-11-27T06:00:00+02:00'])('accepts expires_at %s', (at) => {
    expect(parseWith(rotateApiKeySchema, { expires_at: at })).toEqual({ expires_at: at });
  });

  it('refuses an unknown expires_in', () => {
    expect(detailsOf(() => parseWith(rotateApiKeySchema, { expires_in: '2d' }))).toEqual({
      expires_in: ['must be one of now, 1h, 24h, 48h, 7d'],
    });
  });

  it.each(['2026-11-27T04:00:00', 'tomorrow', '2026-02-30T04:00:00Z', 1764129600000])('refuses expires_at %p', (at) => {
    const details = detailsOf(() => parseWith(rotateApiKeySchema, { expires_at: at }));
    expect(Object.keys(details)).toEqual(['expires_at']);
  });

  it('refuses both fields together', () => {
    const details = detailsOf(() => parseWith(rotateApiKeySchema, { expires_in: '1h', expires_at: '2026-11-27T04:00:00Z' }));
    expect(Object.keys(details).sort()).toEqual(['expires_at', 'expires_in']);
  });

  it('refuses a body with other fields only', () => {
    expect(detailsOf(() => parseWith(rotateApiKeySchema, { when: 'now' }))).toEqual({ when: ['is not a known field'] });
  });
});

describe('page query', () => {
  it('ignores query parameters named after inherited members, and refuses such a limit', () => {
    const query = JSON.parse('{"__proto__":"1","constructor":"2","toString":"3","limit":"5"}') as Record<string, string>;
    expect(parseWith(pageQuerySchema, query, 'query')).toEqual({ limit: 5 });
    expect(detailsOf(() => parseWith(pageQuerySchema, { limit: '__proto__', cursor: '' }, 'query'))).toEqual({
      limit: ['must be an integer from 1 to 100'],
      cursor: ['must not be empty'],
    });
  });

  it('defaults the limit to 100', () => {
    expect(parseWith(pageQuerySchema, {}, 'query')).toEqual({ limit: 100 });
  });

  it('reads limit and cursor', () => {
    expect(parseWith(pageQuerySchema, { limit: '5', cursor: 'abc' }, 'query')).toEqual({ limit: 5, cursor: 'abc' });
  });

  it.each(['0', '101', '-1', '2.5', 'ten', '', '0001'])('refuses limit %p', (limit) => {
    expect(detailsOf(() => parseWith(pageQuerySchema, { limit }, 'query'))).toEqual({
      limit: ['must be an integer from 1 to 100'],
    });
  });

  it('refuses an empty cursor', () => {
    expect(Object.keys(detailsOf(() => parseWith(pageQuerySchema, { cursor: '' }, 'query')))).toEqual(['cursor']);
  });
});
