import { isExpired, rotationExpiry } from '../../../lambdas/domain/api-key';
import { ValidationFailed } from '../../../lambdas/domain/errors';

describe('rotation rules (API.md §3 Rotation)', () => {
  const now = new Date('2026-11-26T04:00:00.000Z');

  it.each([
    ['1h', '2026-11-26T05:00:00.000Z'],
    ['24h', '2026-11-27T04:00:00.000Z'],
    ['48h', '2026-11-28T04:00:00.000Z'],
    ['7d', '2026-12-03T04:00:00.000Z'],
  ] as const)('expires_in %s keeps the old key until %s', (expiresIn, expected) => {
    expect(rotationExpiry({ expires_in: expiresIn }, now)?.toISOString()).toBe(expected);
  });

  it('treats now, the present and the past as instant', () => {
    expect(rotationExpiry({ expires_in: 'now' }, now)).toBeNull();
    expect(rotationExpiry({ expires_at: now.toISOString() }, now)).toBeNull();
    expect(rotationExpiry({ expires_at: '2020-01-01T00:00:00Z' }, now)).toBeNull();
  });

  it('accepts a future expires_at up to exactly seven days ahead', () => {
    expect(rotationExpiry({ expires_at: '2026-12-03T04:00:00.000Z' }, now)?.toISOString()).toBe('2026-12-03T04:00:00.000Z');
    expect(() => rotationExpiry({ expires_at: '2026-12-03T04:00:00.001Z' }, now)).toThrow(ValidationFailed);
  });

  it('considers a key expired from its expires_at instant on', () => {
    expect(isExpired(null, now)).toBe(false);
    expect(isExpired('2026-11-26T04:00:00.001Z', now)).toBe(false);
    expect(isExpired('2026-11-26T04:00:00.000Z', now)).toBe(true);
  });

  it.each([
    '',
    'garbage',
    'NaN',
    '2099-13-01T00:00:00Z',
    '2099-02-30T00:00:00Z',
    '4102444800',
    '2099-01-01',
    'Thu, 01 Jan 2099 00:00:00 GMT',
  ])('fails closed: an expires_at that is not an ISO-8601 instant (%p) counts as expired', (expiresAt) => {
    expect(isExpired(expiresAt, now)).toBe(true);
  });

  it('reads an expires_at with an offset as the instant it names', () => {
    expect(isExpired('2026-11-26T06:00:00.001+02:00', now)).toBe(false);
    expect(isExpired('2026-11-26T06:00:00+02:00', now)).toBe(true);
  });
});
