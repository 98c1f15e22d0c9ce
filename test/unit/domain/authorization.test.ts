import type { HotKey } from '../../../lambdas/domain/api-key';
import { countsAsUse, decide, ROUTE_NOT_ALLOWED, screenToken } from '../../../lambdas/domain/authorization';
import type { Mode, Permissions } from '../../../lambdas/domain/permissions';
import type { RouteDefinition } from '../../../lambdas/domain/routes';
import { checksumOf, generateToken, hashToken } from '../../../lambdas/domain/token';

/**
 * The authorizer's decision (API.md §1), table-driven over every combination of key state ×
 * route × mode × shape of the stored permissions. The expected answer of each combination comes
 * from the tables below (what each state and shape means), in the precedence API.md gives:
 * an unknown key, then an expired one (401), then a route outside the table, then the permission
 * (403). Damaged stored data must fail closed: it can stop a key, never widen one.
 */

const NOW = new Date('2036-11-26T04:00:00.000Z');
const RESOURCE = 'customer';

const hotKey = (overrides: Partial<Record<keyof HotKey, unknown>> = {}): HotKey =>
  ({
    tokenHash: 'a'.repeat(64),
    organizationId: 'acme',
    apiKeyId: '01JDKEY',
    permissions: { [RESOURCE]: ['read', 'write'] },
    expiresAt: null,
    lastUsedAt: null,
    ...overrides,
  }) as HotKey;

/** What the store may hand over for a key, and what it must mean. */
const KEY_STATES: Array<[name: string, key: Partial<Record<keyof HotKey, unknown>> | undefined, meaning: 'valid' | 'unknown' | 'expired']> =
  [
    ['no key for the hash', undefined, 'unknown'],
    ['a key without expiry', { expiresAt: null }, 'valid'],
    ['a key expiring in 1 ms', { expiresAt: '2036-11-26T04:00:00.001Z' }, 'valid'],
    ['a key expiring in 7 days, with a zone offset', { expiresAt: '2036-12-03T05:00:00+01:00' }, 'valid'],
    ['a key at its expires_at instant', { expiresAt: NOW.toISOString() }, 'expired'],
    ['a key past its expires_at', { expiresAt: '2036-11-26T03:59:59.999Z' }, 'expired'],
    // Damaged stored data.
    ['a key whose expires_at is not a date', { expiresAt: 'next tuesday' }, 'expired'],
    ['a key whose expires_at is empty', { expiresAt: '' }, 'expired'],
    ['a key whose expires_at has no zone', { expiresAt: '2099-01-01T00:00:00' }, 'expired'],
    ['a key whose expires_at is a day that does not exist', { expiresAt: '2099-02-30T00:00:00Z' }, 'expired'],
    ['a key whose expires_at is epoch seconds', { expiresAt: '4102444800' }, 'expired'],
    ['a key whose expires_at was a map', { expiresAt: '[object Object]' }, 'expired'],
    ['a key without organization id', { organizationId: undefined }, 'unknown'],
    ['a key with an empty organization id', { organizationId: '' }, 'unknown'],
    ['a key whose organization id is a number', { organizationId: 42 }, 'unknown'],
    ['a key without key id', { apiKeyId: undefined }, 'unknown'],
    ['a key whose key id is a map', { apiKeyId: { S: 'x' } }, 'unknown'],
    ['an expired key without organization id', { organizationId: undefined, expiresAt: '2020-01-01T00:00:00Z' }, 'unknown'],
  ];

const route = (mode: Mode, tracksUsage: boolean): RouteDefinition => ({
  method: mode === 'read' ? 'GET' : 'POST',
  path: '/v1/customers',
  resource: RESOURCE,
  mode,
  tracksUsage,
});

const ROUTES: Array<[name: string, route: RouteDefinition | undefined]> = [
  ['a route outside the table', undefined],
  ['a tracked read route', route('read', true)],
  ['a tracked write route', route('write', true)],
  ['an untracked read route', route('read', false)],
  ['an untracked write route', route('write', false)],
];

const inherited = Object.create({ [RESOURCE]: ['read', 'write'] }) as Permissions;

/** Stored permissions, and the modes each grants on `customer`. */
const PERMISSION_SHAPES: Array<[name: string, permissions: unknown, grants: readonly Mode[]]> = [
  ['read and write', { [RESOURCE]: ['read', 'write'] }, ['read', 'write']],
  ['write and read, unsorted', { [RESOURCE]: ['write', 'read'] }, ['read', 'write']],
  ['read only', { [RESOURCE]: ['read'] }, ['read']],
  ['write only', { [RESOURCE]: ['write'] }, ['write']],
  ['no modes', { [RESOURCE]: [] }, []],
  ['another resource only', { invoice: ['read', 'write'] }, []],
  ['nothing', {}, []],
  // Damaged stored data.
  ['a string', 'readwrite', []],
  ['a string per resource', { [RESOURCE]: 'readwrite' }, []],
  ['a string set per resource', { [RESOURCE]: new Set(['read', 'write']) }, []],
  ['a map of modes', { [RESOURCE]: { read: true, write: true } }, []],
  ['modes in upper case', { [RESOURCE]: ['READ', 'WRITE'] }, []],
  ['a list of resources', [RESOURCE], []],
  ['null', null, []],
  ['a number', 7, []],
  ['the resource only by inheritance', inherited, []],
];

type Expected = { kind: 'unauthorized'; reason: string } | { kind: 'deny'; code: string } | { kind: 'allow' };

function expected(
  meaning: 'valid' | 'unknown' | 'expired',
  routeDefinition: RouteDefinition | undefined,
  grants: readonly Mode[],
): Expected {
  if (meaning !== 'valid') return { kind: 'unauthorized', reason: meaning };
  if (routeDefinition === undefined) return { kind: 'deny', code: ROUTE_NOT_ALLOWED };
  if (grants.includes(routeDefinition.mode)) return { kind: 'allow' };
  return { kind: 'deny', code: `${routeDefinition.mode}_action_not_allowed_for_${RESOURCE}` };
}

/** `allow`, `deny <code>` or `unauthorized <reason>`: what a counter of decisions would record. */
function label(decision: Expected): string {
  switch (decision.kind) {
    case 'allow':
      return 'allow';
    case 'deny':
      return `deny ${decision.code}`;
    case 'unauthorized':
      return `unauthorized ${decision.reason}`;
  }
}

const combinations = KEY_STATES.flatMap(([keyName, state, meaning]) =>
  ROUTES.flatMap(([routeName, routeDefinition]) =>
    PERMISSION_SHAPES.map(([shapeName, permissions, grants]) => {
      const want = expected(meaning, routeDefinition, grants);
      return {
        name: `${keyName}, ${routeName}, permissions ${shapeName}`,
        key: state === undefined ? undefined : hotKey({ ...state, permissions }),
        route: routeDefinition,
        expected: want,
        label: label(want),
      };
    }),
  ),
);

describe('decide', () => {
  it('covers every combination of key state, route and permissions shape', () => {
    expect(combinations).toHaveLength(KEY_STATES.length * ROUTES.length * PERMISSION_SHAPES.length);
    expect([...new Set(combinations.map((combination) => combination.label))].sort()).toEqual([
      'allow',
      'deny read_action_not_allowed_for_customer',
      'deny route_not_allowed',
      'deny write_action_not_allowed_for_customer',
      'unauthorized expired',
      'unauthorized unknown',
    ]);
  });

  it.each(combinations)('$name → $label', ({ key, route: routeDefinition, expected: want }) => {
    const decision = decide(key, routeDefinition, NOW);
    expect(decision).toMatchObject(want);
    if (decision.kind !== 'unauthorized') {
      // The decision carries what the policy and the usage write need, as given.
      expect(decision.key).toBe(key);
      expect(decision.route).toBe(routeDefinition);
    }
    expect(countsAsUse(decision)).toBe(decision.kind !== 'unauthorized' && routeDefinition?.tracksUsage === true);
  });

  it('answers a refusal with a shared object, so refusing allocates nothing', () => {
    expect(decide(undefined, undefined, NOW)).toBe(decide(undefined, route('read', true), NOW));
    const expired = hotKey({ expiresAt: '2020-01-01T00:00:00Z' });
    expect(decide(expired, undefined, NOW)).toBe(decide(expired, route('write', false), NOW));
    expect(Object.isFrozen(decide(undefined, undefined, NOW))).toBe(true);
  });
});

describe('screenToken', () => {
  const token = generateToken('kw');
  const body = token.slice(0, -6);

  it.each<[string, string | undefined, string]>([
    ['no token', undefined, 'missing'],
    ['an empty token', '', 'malformed'],
    ['a token of another prefix', generateToken('acme'), 'malformed'],
    ['a token with a bad checksum', `${body}${checksumOf(body) === '000000' ? '000001' : '000000'}`, 'malformed'],
    ['a token one character short', token.slice(1), 'malformed'],
    ['a token with a character outside base62', `${token.slice(0, 5)}-${token.slice(6)}`, 'malformed'],
    ['a token with surrounding text', ` ${token}`, 'malformed'],
  ])('refuses %s before any lookup', (_name, presented, reason) => {
    expect(screenToken(presented, 'kw')).toEqual({ kind: 'unauthorized', reason });
  });

  it('hands a well-formed token on as the hash its hot item is keyed by', () => {
    expect(screenToken(token, 'kw')).toEqual({ kind: 'lookup', tokenHash: hashToken(token) });
  });
});
