import ipaddr from 'ipaddr.js';
import { ipAllowed, PARSED_ALLOWLISTS_CACHED } from '../../../lambdas/domain/allowed-ips';
import type { HotKey } from '../../../lambdas/domain/api-key';
import { decide } from '../../../lambdas/domain/authorization';
import type { RouteDefinition } from '../../../lambdas/domain/routes';

/**
 * The authorizer parses a key's `allowed_ips` once per distinct list (a bounded LRU), not on every
 * request: parsing the blocks is most of a decision's CPU with an allowlist.
 */

const NOW = new Date('2036-11-26T04:00:00.000Z');
const ROUTE: RouteDefinition = { method: 'GET', path: '/v1/customers', resource: 'customer', mode: 'read', tracksUsage: false };
const keyWith = (allowedIps: unknown): HotKey =>
  ({
    tokenHash: 'a'.repeat(64),
    organizationId: 'acme',
    apiKeyId: '01JDKEY',
    permissions: { customer: ['read'] },
    expiresAt: null,
    lastUsedAt: null,
    allowedIps,
  }) as HotKey;

describe('allowlist parsing in the decision', () => {
  let parses: jest.SpyInstance;
  beforeEach(() => {
    parses = jest.spyOn(ipaddr, 'parseCIDR');
  });
  afterEach(() => parses.mockRestore());

  it('parses a list on its first decision and not on the next, for this key or another with the same list', () => {
    const blocks = ['10.9.0.0/16', '192.0.2.0/24', '2001:db8::/32'];
    expect(decide(keyWith(blocks), ROUTE, NOW, '192.0.2.7').kind).toBe('allow');
    expect(parses).toHaveBeenCalled();
    parses.mockClear();
    expect(decide(keyWith(blocks), ROUTE, NOW, '192.0.2.8').kind).toBe('allow');
    expect(decide(keyWith([...blocks]), ROUTE, NOW, '198.51.100.1')).toMatchObject({ kind: 'deny', code: 'ip_not_allowed' });
    expect(decide(keyWith(blocks), ROUTE, NOW, '2001:db8::1').kind).toBe('allow');
    expect(parses).not.toHaveBeenCalled();
  });

  it('tells lists apart by their blocks, whatever text a block holds', () => {
    // Joined with a comma these two would be one key: a stored block is damaged data, not trusted text.
    expect(ipAllowed(['203.0.113.0/24,198.51.100.0/24'], '198.51.100.1')).toBe(false);
    expect(ipAllowed(['203.0.113.0/24', '198.51.100.0/24'], '198.51.100.1')).toBe(true);
    expect(ipAllowed(['203.0.113.0/24,198.51.100.0/24'], '198.51.100.1')).toBe(false);
  });

  it('keeps a bounded number of lists, the least recently used leaving first', () => {
    const list = (i: number) => [`10.${i >> 8}.${i & 255}.0/24`];
    expect(ipAllowed(list(0), '10.0.0.1')).toBe(true);
    for (let i = 1; i <= PARSED_ALLOWLISTS_CACHED; i++) {
      ipAllowed(list(i), '10.0.0.1');
      // List 0 stays recent, so it is never the one evicted.
      if (i % 100 === 0) ipAllowed(list(0), '10.0.0.1');
    }
    parses.mockClear();
    ipAllowed(list(0), '10.0.0.1');
    expect(parses).not.toHaveBeenCalled();
    // List 1, used once long ago, was evicted when the cache passed its bound.
    ipAllowed(list(1), '10.0.0.1');
    expect(parses).toHaveBeenCalled();
  });

  it('parses damaged data (a block that is not text) each time, and fails closed on it', () => {
    expect(ipAllowed([42, '192.0.2.0/24'], '192.0.2.1')).toBe(true);
    expect(ipAllowed([42], '192.0.2.1')).toBe(false);
    expect(ipAllowed('192.0.2.0/24', '192.0.2.1')).toBe(false);
  });
});
