import { STILL_IN_USE_WINDOW_MS, stillInUse } from '../../../lambdas/domain/still-in-use';

const EXPIRES_AT = '2036-11-26T05:00:00.000Z';
const at = (offsetMs: number) => new Date(Date.parse(EXPIRES_AT) + offsetMs).toISOString();
const MINUTE = 60_000;

describe('the "still in use" rule', () => {
  it('warns about a use within the last hour before expires_at, naming that use and the expiry', () => {
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(-10 * MINUTE), warnedFor: null })).toEqual({
      warn: true,
      expiresAt: EXPIRES_AT,
      lastUsedAt: at(-10 * MINUTE),
    });
  });

  it('counts the window from exactly one hour before, up to the instant of expiry', () => {
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(-STILL_IN_USE_WINDOW_MS), warnedFor: null }).warn).toBe(true);
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(-1), warnedFor: null }).warn).toBe(true);
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(-STILL_IN_USE_WINDOW_MS - 1), warnedFor: null })).toEqual({
      warn: false,
      reason: 'used_before_window',
    });
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(0), warnedFor: null })).toEqual({ warn: false, reason: 'used_after_expiry' });
  });

  it('takes a shorter window when given one (the local runtime, for end-to-end tests)', () => {
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(-10 * MINUTE), warnedFor: null }, 5 * MINUTE).warn).toBe(false);
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: at(-4 * MINUTE), warnedFor: null }, 5 * MINUTE).warn).toBe(true);
  });

  it('warns once per expiry: not again for the same one, again once the expiry moved', () => {
    const used = { expiresAt: EXPIRES_AT, lastUsedAt: at(-MINUTE) };
    expect(stillInUse({ ...used, warnedFor: EXPIRES_AT })).toEqual({ warn: false, reason: 'already_warned' });
    // The same instant written differently is the same expiry.
    expect(stillInUse({ ...used, warnedFor: '2036-11-26T05:00:00Z' })).toEqual({ warn: false, reason: 'already_warned' });
    expect(stillInUse({ ...used, warnedFor: '2036-11-25T05:00:00.000Z' }).warn).toBe(true);
  });

  it('never warns about a key without an expiry, one never used, or dates that do not parse', () => {
    expect(stillInUse({ expiresAt: null, lastUsedAt: at(-MINUTE), warnedFor: null })).toEqual({ warn: false, reason: 'no_expiry' });
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: null, warnedFor: null })).toEqual({ warn: false, reason: 'never_used' });
    expect(stillInUse({ expiresAt: 'soon', lastUsedAt: at(-MINUTE), warnedFor: null }).warn).toBe(false);
    expect(stillInUse({ expiresAt: EXPIRES_AT, lastUsedAt: 'yesterday', warnedFor: null }).warn).toBe(false);
  });
});
