import {
  allows,
  DEFAULT_RESOURCE_CATALOG,
  defaultPermissions,
  forbiddenCode,
  modeFromMethod,
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
    [{ dragon: ['read'] }, 'dragon'],
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
