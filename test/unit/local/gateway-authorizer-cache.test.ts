import { CACHED_API_KEY_IDENTITY_SOURCES } from '../../../lambdas/http/authorizer';
import { identityOf } from '../../../local/gateway-authorizer-cache';

/**
 * The cache key of the api-key authorizer's results (API Gateway's, emulated locally): it must
 * hold everything a decision depends on, so a key's `allowed_ips` (API.md §9) puts the caller's
 * source IP in it. Without it, an Allow cached for an allowed address would answer another.
 */
describe('the api-key authorizer result cache key', () => {
  const request = (sourceIp: string, method = 'GET') => ({ method, resource: '/v1/customers/{id}', sourceIp });
  const header = (name: string) => (name === 'x-api-key' ? 'kw_key' : undefined);

  it('differs by source IP, as by method, and is the same for the same request', () => {
    const key = (sourceIp: string, method?: string) => identityOf(CACHED_API_KEY_IDENTITY_SOURCES, request(sourceIp, method), header);
    expect(key('203.0.113.1')).toBe(key('203.0.113.1'));
    expect(key('203.0.113.1')).not.toBe(key('192.0.2.1'));
    expect(key('203.0.113.1')).not.toBe(key('203.0.113.1', 'DELETE'));
  });

  it('is missing (API Gateway answers 401) without x-api-key', () => {
    expect(identityOf(CACHED_API_KEY_IDENTITY_SOURCES, request('203.0.113.1'), () => undefined)).toBeUndefined();
  });
});
