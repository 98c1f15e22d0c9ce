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
});
