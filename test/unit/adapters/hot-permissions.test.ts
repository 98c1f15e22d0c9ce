import { decodeHotPermissions, encodeHotPermissions } from '../../../lambdas/adapters/dynamodb/hot-permissions';
import { hotKeyItem, keyChangeAttributes, toHotKey } from '../../../lambdas/adapters/dynamodb/items';
import type { StoredApiKey } from '../../../lambdas/domain/api-key';
import { allows, DEFAULT_RESOURCE_CATALOG, defaultPermissions, type Permissions } from '../../../lambdas/domain/permissions';

/** The hot item's compact encoding of permissions (issue 15 item 10): what it writes, and that it reads back the same. */
describe('hot item permissions encoding', () => {
  const roundTrip = (permissions: Permissions) => decodeHotPermissions(encodeHotPermissions(permissions));

  it.each<[string, Permissions, string]>([
    ['read and write', { customer: ['read', 'write'] }, 'rw:customer'],
    ['read only', { customer: ['read'] }, 'r:customer'],
    ['write only', { customer: ['write'] }, 'w:customer'],
    ['no mode ([] is no access, kept as an entry)', { customer: [] }, ':customer'],
    [
      'every mode across resources: groups rw, r, w, none, each sorted',
      { plan: ['write'], invoice: [], customer: ['read'], add_on: ['read', 'write'], wallet: ['read', 'write'], coupon: ['read'] },
      'rw:add_on,wallet;r:coupon,customer;w:plan;:invoice',
    ],
    ['modes in any order, written read-then-write', { customer: ['write', 'read'] }, 'rw:customer'],
    ['a resource outside the default catalog (a deployment’s own, or one since removed)', { zz_new_9: ['read'] }, 'r:zz_new_9'],
    [
      'a resource named like an Object.prototype member',
      { constructor: ['read'], to_string: ['write'] } as Permissions,
      'r:constructor;w:to_string',
    ],
    ['a name of the maximum 64 characters', { [`a${'b'.repeat(63)}`]: ['read'] } as Permissions, `r:a${'b'.repeat(63)}`],
    ['none', {}, ''],
  ])('%s', (_case, permissions, encoded) => {
    expect(encodeHotPermissions(permissions)).toBe(encoded);
    const decoded = roundTrip(permissions) as Permissions;
    expect(decoded).toEqual(Object.fromEntries(Object.entries(permissions).map(([resource, modes]) => [resource, [...modes].sort()])));
    for (const [resource, modes] of Object.entries(permissions)) {
      expect(Object.hasOwn(decoded, resource)).toBe(true);
      expect(allows(decoded, resource, 'read')).toBe(modes.includes('read'));
      expect(allows(decoded, resource, 'write')).toBe(modes.includes('write'));
    }
  });

  it('a default key: all 38 resources read and write, 440 characters instead of a 973-byte map', () => {
    const permissions = defaultPermissions(DEFAULT_RESOURCE_CATALOG);
    const encoded = encodeHotPermissions(permissions);
    expect(encoded).toHaveLength(440);
    expect(encoded).toBe(`rw:${[...DEFAULT_RESOURCE_CATALOG].sort().join(',')}`);
    expect(decodeHotPermissions(encoded)).toEqual(permissions);
  });

  it('writes the map (the previous encoding, still read) for a name the string cannot hold unambiguously', () => {
    const odd = { 'a:b,c': ['read'] } as Permissions;
    expect(encodeHotPermissions(odd)).toEqual(odd);
    expect(decodeHotPermissions(encodeHotPermissions(odd))).toEqual(odd);
  });

  it('reads the previous encoding (a map of lists) as stored', () => {
    const stored = { customer: ['read', 'write'], invoice: ['read'] };
    expect(decodeHotPermissions(stored)).toBe(stored);
  });

  it.each<[string, unknown]>([
    ['an unknown mode letter', 'rx:customer'],
    ['modes out of order', 'wr:customer'],
    ['a repeated mode', 'rr:customer'],
    ['a resource in two groups', 'r:customer;w:customer'],
    ['a resource twice in a group', 'rw:customer,customer'],
    ['a group twice', 'r:customer;r:invoice'],
    ['groups out of order', 'r:invoice;rw:customer'],
    ['names out of order', 'rw:invoice,customer'],
    ['a trailing comma', 'rw:customer,'],
    ['a trailing semicolon', 'rw:customer;'],
    ['an empty group', 'rw:'],
    ['a missing colon', 'customer'],
    ['the name before the modes', 'customer:rw'],
    ['an upper-case name', 'rw:Customer'],
    ['a name with a space', 'rw:cust omer'],
    ['the old words', 'read,write:customer'],
    ['a name of 65 characters', `rw:a${'b'.repeat(64)}`],
    ['a __proto__ resource', 'rw:__proto__'],
    ['JSON of the map', '{"customer":["read","write"]}'],
  ])('passes on as stored, which allows nothing: %s', (_case, stored) => {
    const decoded = decodeHotPermissions(stored);
    expect(decoded).toBe(stored);
    expect(allows(decoded as Permissions, 'customer', 'read')).toBe(false);
    expect(allows(decoded as Permissions, 'customer', 'write')).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a list', ['customer']],
    ['a number', 7],
    ['a boolean', true],
    ['null', null],
    ['absent', undefined],
  ])('passes on any other type as stored: %s', (_case, stored) => {
    expect(decodeHotPermissions(stored)).toBe(stored);
  });

  describe('items.ts', () => {
    const key: StoredApiKey = {
      id: 'key-1',
      organizationId: 'acme',
      name: null,
      maskedValue: 'kw_…abcd',
      permissions: { invoice: ['read'], customer: ['read', 'write'] },
      allowedIps: null,
      createdAt: '2036-11-26T04:00:00.000Z',
      expiresAt: null,
      lastUsedAt: null,
      tokenHash: 'a'.repeat(64),
      encryptedToken: 'sealed',
      version: 1,
      retirementJobId: null,
      expirySource: null,
      reminderMarks: [],
    };

    it('a new hot item holds the string, and reads back into the permissions the key was made with', () => {
      const item = hotKeyItem(key);
      expect(item.permissions).toBe('rw:customer;r:invoice');
      expect(toHotKey(item, key.tokenHash).permissions).toEqual({ customer: ['read', 'write'], invoice: ['read'] });
    });

    it('a hot item of the previous release (permissions as a map) reads the same', () => {
      const item = { ...hotKeyItem(key), permissions: { customer: ['read', 'write'], invoice: ['read'] } };
      expect(toHotKey(item, key.tokenHash).permissions).toEqual({ customer: ['read', 'write'], invoice: ['read'] });
    });

    it('a permissions change sets the string on the hot item and the map on the key item', () => {
      const { apiKey, hotKey } = keyChangeAttributes({ permissions: { plan: ['write'] } });
      expect(apiKey.set.permissions).toEqual({ plan: ['write'] });
      expect(hotKey.set.permissions).toBe('w:plan');
    });
  });
});
