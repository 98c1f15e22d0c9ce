import { hotKeyCacheConfig } from '../../lambdas/runtime/config';

describe('hotKeyCacheConfig', () => {
  it('is off with 1000 entries by default, and for blank values', () => {
    expect(hotKeyCacheConfig({})).toEqual({ ttlMs: 0, maxEntries: 1000 });
    expect(hotKeyCacheConfig({ AUTHORIZER_KEY_CACHE_MS: ' ', AUTHORIZER_KEY_CACHE_ENTRIES: '' })).toEqual({ ttlMs: 0, maxEntries: 1000 });
  });

  it('reads both variables, at their bounds too', () => {
    expect(hotKeyCacheConfig({ AUTHORIZER_KEY_CACHE_MS: '1000', AUTHORIZER_KEY_CACHE_ENTRIES: '50' })).toEqual({
      ttlMs: 1000,
      maxEntries: 50,
    });
    expect(hotKeyCacheConfig({ AUTHORIZER_KEY_CACHE_MS: '60000', AUTHORIZER_KEY_CACHE_ENTRIES: '100000' })).toEqual({
      ttlMs: 60_000,
      maxEntries: 100_000,
    });
    expect(hotKeyCacheConfig({ AUTHORIZER_KEY_CACHE_MS: ' 0 ', AUTHORIZER_KEY_CACHE_ENTRIES: '1' })).toEqual({ ttlMs: 0, maxEntries: 1 });
  });

  it.each([
    [
      'AUTHORIZER_KEY_CACHE_MS',
      '60001',
      /invalid hot key cache configuration: AUTHORIZER_KEY_CACHE_MS must be a whole number 0-60000, got "60001"/,
    ],
    ['AUTHORIZER_KEY_CACHE_MS', '-1', /AUTHORIZER_KEY_CACHE_MS must be a whole number 0-60000/],
    ['AUTHORIZER_KEY_CACHE_MS', '1.5', /AUTHORIZER_KEY_CACHE_MS/],
    ['AUTHORIZER_KEY_CACHE_MS', '1e3', /AUTHORIZER_KEY_CACHE_MS/],
    ['AUTHORIZER_KEY_CACHE_MS', '1s', /AUTHORIZER_KEY_CACHE_MS/],
    ['AUTHORIZER_KEY_CACHE_ENTRIES', '0', /AUTHORIZER_KEY_CACHE_ENTRIES must be a whole number 1-100000, got "0"/],
    ['AUTHORIZER_KEY_CACHE_ENTRIES', '100001', /AUTHORIZER_KEY_CACHE_ENTRIES must be a whole number 1-100000/],
    ['AUTHORIZER_KEY_CACHE_ENTRIES', 'lots', /AUTHORIZER_KEY_CACHE_ENTRIES/],
  ])('rejects %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => hotKeyCacheConfig({ [name]: value })).toThrow(message);
  });
});
