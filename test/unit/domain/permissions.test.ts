import {
  allows,
  DEFAULT_RESOURCE_CATALOG,
  defaultPermissions,
  forbiddenCode,
  modeFromMethod,
  normalizePermissions,
  type Permissions,
  parseResourceCatalog,
  permissionsSchema,
} from '../../../lambdas/domain/permissions';

describe('permissions (API.md §2)', () => {
  const schema = permissionsSchema(DEFAULT_RESOURCE_CATALOG);

  it('accepts known resources with read/write and normalizes the order', () => {
    expect(schema.parse({ invoice: ['write', 'read'], customer: [], event: ['write'] })).toEqual({
      customer: [],
      event: ['write'],
      invoice: ['read', 'write'],
    });
  });

  it.each([
    [{}, ''],
    [{ dragon: ['read'] }, ''],
    [{ customer: ['delete'] }, 'customer.0'],
    [{ customer: ['read', 'read'] }, 'customer'],
    [{ customer: 'read' }, 'customer'],
    [['customer'], ''],
  ])('rejects %j', (value, path) => {
    const result = schema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('grants every catalog resource read and write by default', () => {
    const all = defaultPermissions(DEFAULT_RESOURCE_CATALOG);
    expect(Object.keys(all)).toHaveLength(DEFAULT_RESOURCE_CATALOG.length);
    expect(Object.values(all).every((modes) => modes.join() === 'read,write')).toBe(true);
  });

  it('treats a missing resource or [] as no access', () => {
    const permissions = { customer: ['read' as const], invoice: [] };
    expect(allows(permissions, 'customer', 'read')).toBe(true);
    expect(allows(permissions, 'customer', 'write')).toBe(false);
    expect(allows(permissions, 'invoice', 'read')).toBe(false);
    expect(allows(permissions, 'plan', 'read')).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a string', 'readwrite'],
    ['a string per resource', { customer: 'readwrite' }],
    ['modes as an object', { customer: { 0: 'read', 1: 'write' } }],
    ['modes as a Set (a DynamoDB string set)', { customer: new Set(['read', 'write']) }],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
  ])('fails closed when the permissions are %s', (_, permissions) => {
    for (const mode of ['read', 'write'] as const) expect(allows(permissions as Permissions, 'customer', mode)).toBe(false);
  });

  it('grants nothing through names every object inherits', () => {
    const permissions = { customer: ['read' as const] };
    for (const resource of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(allows(permissions, resource, 'read')).toBe(false);
    }
    const inherited = JSON.parse('{"__proto__":["read","write"]}') as Permissions;
    expect(allows(inherited, 'customer', 'read')).toBe(false);
  });

  it('normalizes malformed stored permissions to no access instead of throwing', () => {
    expect(normalizePermissions({ customer: 'read', invoice: ['write', 'delete', 'read'], plan: null } as never)).toEqual({
      customer: [],
      invoice: ['read', 'write'],
      plan: [],
    });
    expect(normalizePermissions('readwrite' as never)).toEqual({});
  });

  it('derives the mode from the method', () => {
    expect(modeFromMethod('GET')).toBe('read');
    expect(modeFromMethod('head')).toBe('read');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(modeFromMethod(method)).toBe('write');
  });

  it('names the 403 code after mode and resource', () => {
    expect(forbiddenCode('customer', 'write')).toBe('write_action_not_allowed_for_customer');
  });

  it('reads a configured catalog and refuses bad names', () => {
    expect(parseResourceCatalog(undefined)).toBe(DEFAULT_RESOURCE_CATALOG);
    expect(parseResourceCatalog(' widget, gadget ,widget')).toEqual(['widget', 'gadget']);
    expect(() => parseResourceCatalog('Widget')).toThrow(/Widget/);
    expect(() => parseResourceCatalog(',')).toThrow();
    expect(permissionsSchema(['widget']).safeParse({ customer: ['read'] }).success).toBe(false);
  });
});
