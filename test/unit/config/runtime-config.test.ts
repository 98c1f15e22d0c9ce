import { adminAuthConfig, fallbackUsageIdentifierConfig, hotKeyCacheConfig, usagePlanIdsConfig } from '../../../lambdas/runtime/config';

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

describe('adminAuthConfig', () => {
  const ISSUER = { ADMIN_JWT_ISSUER: 'https://login.example.com/tenant/v2.0' };

  it("reads Cognito's claims by default, and the audiences as a comma-separated list", () => {
    expect(adminAuthConfig({ ...ISSUER, ADMIN_JWT_AUDIENCE: 'console, scripts' })).toMatchObject({
      ADMIN_JWT_AUDIENCE: ['console', 'scripts'],
      claims: { email: 'email', emailVerified: 'email_verified' },
    });
  });

  it('reads the claim rules of another issuer; none means no verification claim', () => {
    const entra = { ...ISSUER, ADMIN_JWT_AUDIENCE: 'app', ADMIN_EMAIL_CLAIM: 'email', ADMIN_EMAIL_VERIFIED_CLAIM: 'xms_edov' };
    expect(adminAuthConfig(entra).claims).toEqual({ email: 'email', emailVerified: 'xms_edov' });
    expect(adminAuthConfig({ ...entra, ADMIN_EMAIL_CLAIM: 'preferred_username', ADMIN_EMAIL_VERIFIED_CLAIM: 'none' }).claims).toEqual({
      email: 'preferred_username',
      emailVerified: null,
    });
  });

  it.each([
    ['an empty audience', { ADMIN_JWT_AUDIENCE: 'console,' }, /invalid admin auth configuration: ADMIN_JWT_AUDIENCE/],
    ['a claim name with a space', { ADMIN_JWT_AUDIENCE: 'app', ADMIN_EMAIL_CLAIM: 'e mail' }, /ADMIN_EMAIL_CLAIM/],
    ['an empty verification claim', { ADMIN_JWT_AUDIENCE: 'app', ADMIN_EMAIL_VERIFIED_CLAIM: '' }, /ADMIN_EMAIL_VERIFIED_CLAIM/],
  ])('fails the cold start on %s, naming the variable', (_name, env, message) => {
    expect(() => adminAuthConfig({ ...ISSUER, ...env })).toThrow(message);
  });
});

describe('the usage plan settings (API.md §9)', () => {
  it("reads the authorizer's fallback usage identifier, none when unset, and refuses a value API Gateway would not take", () => {
    expect(fallbackUsageIdentifierConfig({})).toBeUndefined();
    expect(fallbackUsageIdentifierConfig({ FALLBACK_USAGE_IDENTIFIER: ' keyward-fallback-0123456789abcdef ' })).toBe(
      'keyward-fallback-0123456789abcdef',
    );
    expect(() => fallbackUsageIdentifierConfig({ FALLBACK_USAGE_IDENTIFIER: 'short' })).toThrow('20-128 characters');
  });

  it("reads each plan's usage plan id, none when unset, and refuses what is not a map of plan names", () => {
    expect(usagePlanIdsConfig({})).toBeUndefined();
    expect(usagePlanIdsConfig({ USAGE_PLAN_IDS: '{"free":"abc123","pro":"def456"}' })).toEqual({ free: 'abc123', pro: 'def456' });
    expect(() => usagePlanIdsConfig({ USAGE_PLAN_IDS: 'free=abc' })).toThrow('not JSON');
    expect(() => usagePlanIdsConfig({ USAGE_PLAN_IDS: '{"free":""}' })).toThrow('invalid usage plans configuration');
  });
});
