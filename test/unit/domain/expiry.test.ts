import { checkRotation, countsAsNonExpiring, isPendingRotation, type StoredApiKey } from '../../../lambdas/domain/api-key';
import { ManualClock } from '../../../lambdas/domain/clock';
import { KeyLifetimeExceedsPolicy, RotationAlreadyScheduled, ValidationFailed } from '../../../lambdas/domain/errors';
import {
  DAY_MS,
  DEFAULT_SETTINGS,
  isReminderAhead,
  newKeyExpiry,
  patchedExpiry,
  reminderTime,
  requestedExpiry,
  sortReminderDays,
} from '../../../lambdas/domain/expiry';

const clock = new ManualClock('2036-11-26T04:00:00.000Z');
const POLICY_30 = { maxKeyLifetimeDays: 30, expiryReminderDays: [7, 1] };

const KEY: StoredApiKey = {
  id: '01KAXQ3N8Y4B5C6D7E8F9G0H1J',
  version: 1,
  organizationId: 'acme',
  name: null,
  maskedValue: 'kw_••••••••9fQz',
  permissions: { customer: ['read'] },
  createdAt: '2036-11-20T04:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
  tokenHash: 'hash',
  encryptedToken: 'sealed',
  retirementJobId: null,
};

beforeEach(() => clock.set('2036-11-26T04:00:00.000Z'));

describe('the expiry a new key asks for', () => {
  it('reads expires_in from now, expires_at as given, and nothing as no expiry', () => {
    expect(requestedExpiry({ expires_in: '1h' }, clock.now())?.toISOString()).toBe('2036-11-26T05:00:00.000Z');
    expect(requestedExpiry({ expires_in: '365d' }, clock.now())?.toISOString()).toBe('2037-11-26T04:00:00.000Z');
    expect(requestedExpiry({ expires_at: '2036-12-01T00:00:00+01:00' }, clock.now())?.toISOString()).toBe('2036-11-30T23:00:00.000Z');
    expect(requestedExpiry({}, clock.now())).toBeNull();
  });
});

describe('newKeyExpiry (create, and the new key of a rotation)', () => {
  it('gives no expiry without a request or a policy', () => {
    expect(newKeyExpiry(null, clock.now(), DEFAULT_SETTINGS)).toBeNull();
  });

  it('gives created_at + the maximum lifetime, marked as the policy’s, to a key that asks for none', () => {
    expect(newKeyExpiry(null, clock.now(), POLICY_30)).toEqual({ expiresAt: '2036-12-26T04:00:00.000Z', expirySource: 'policy' });
  });

  it('keeps a requested expiry within the policy, up to the maximum exactly', () => {
    const max = new Date(clock.now().getTime() + 30 * DAY_MS);
    expect(newKeyExpiry(max, clock.now(), POLICY_30)).toEqual({ expiresAt: max.toISOString(), expirySource: 'request' });
  });

  it('refuses an expiry longer than the policy allows (key_lifetime_exceeds_policy)', () => {
    const tooLong = new Date(clock.now().getTime() + 30 * DAY_MS + 1);
    expect(() => newKeyExpiry(tooLong, clock.now(), POLICY_30)).toThrow(KeyLifetimeExceedsPolicy);
  });

  it('refuses an expiry at or before now as a validation error on expires_at', () => {
    const error = captured(() => newKeyExpiry(clock.now(), clock.now(), DEFAULT_SETTINGS));
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).details).toEqual({ expires_at: ['must be in the future'] });
  });
});

describe('patchedExpiry (PATCH expires_at)', () => {
  const later = '2036-12-01T04:00:00.000Z';

  it('sets an expiry on a key without one, and moves an existing one', () => {
    expect(patchedExpiry(KEY, later, clock.now(), DEFAULT_SETTINGS)).toEqual({ expiresAt: later, expirySource: 'request' });
    const expiring = { ...KEY, expiresAt: later, expirySource: 'request' as const };
    expect(patchedExpiry(expiring, '2036-12-02T04:00:00Z', clock.now(), DEFAULT_SETTINGS)).toEqual({
      expiresAt: '2036-12-02T04:00:00.000Z',
      expirySource: 'request',
    });
  });

  it('changes nothing when the same instant is asked again, or null for a key without an expiry', () => {
    const expiring = { ...KEY, expiresAt: later, expirySource: 'request' as const };
    expect(patchedExpiry(expiring, '2036-12-01T05:00:00+01:00', clock.now(), DEFAULT_SETTINGS)).toBeUndefined();
    expect(patchedExpiry(KEY, null, clock.now(), DEFAULT_SETTINGS)).toBeUndefined();
  });

  it('turns a policy expiry into a requested one, even at the same instant (it then counts as expiring)', () => {
    const byPolicy = { ...KEY, expiresAt: later, expirySource: 'policy' as const };
    expect(patchedExpiry(byPolicy, later, clock.now(), DEFAULT_SETTINGS)).toEqual({ expiresAt: later, expirySource: 'request' });
  });

  it('clears an expiry with null, unless a maximum lifetime forbids a key that never expires', () => {
    const expiring = { ...KEY, expiresAt: later, expirySource: 'request' as const };
    expect(patchedExpiry(expiring, null, clock.now(), DEFAULT_SETTINGS)).toEqual({ expiresAt: null, expirySource: null });
    expect(() => patchedExpiry(expiring, null, clock.now(), POLICY_30)).toThrow(KeyLifetimeExceedsPolicy);
  });

  it('counts the policy from the key’s creation', () => {
    expect(patchedExpiry(KEY, '2036-12-20T04:00:00.000Z', clock.now(), POLICY_30)?.expiresAt).toBe('2036-12-20T04:00:00.000Z');
    expect(() => patchedExpiry(KEY, '2036-12-20T04:00:00.001Z', clock.now(), POLICY_30)).toThrow(KeyLifetimeExceedsPolicy);
  });

  it('refuses an instant that is not ahead, as the clock moves', () => {
    expect(() => patchedExpiry(KEY, '2036-11-26T04:00:00.000Z', clock.now(), DEFAULT_SETTINGS)).toThrow(ValidationFailed);
    clock.set('2036-11-26T03:59:59.999Z');
    expect(patchedExpiry(KEY, '2036-11-26T04:00:00.000Z', clock.now(), DEFAULT_SETTINGS)).toBeDefined();
  });

  it('never revives a key past its expiry (it only waits for its retirement)', () => {
    const expired = { ...KEY, expiresAt: '2036-11-26T04:00:00.000Z', expirySource: 'request' as const };
    expect(() => patchedExpiry(expired, later, clock.now(), DEFAULT_SETTINGS)).toThrow(ValidationFailed);
    expect(() => patchedExpiry(expired, null, clock.now(), DEFAULT_SETTINGS)).toThrow(ValidationFailed);
  });

  it('never touches the expiry of a pending rotation (rotation_already_scheduled)', () => {
    const rotating = { ...KEY, expiresAt: later, expirySource: 'rotation' as const };
    expect(() => patchedExpiry(rotating, null, clock.now(), DEFAULT_SETTINGS)).toThrow(RotationAlreadyScheduled);
    // A key from before expiry sources were stored: its only possible expiry was a rotation's.
    const legacy = { ...KEY, expiresAt: later, expirySource: undefined };
    expect(() => patchedExpiry(legacy, '2036-12-02T04:00:00.000Z', clock.now(), DEFAULT_SETTINGS)).toThrow(RotationAlreadyScheduled);
  });
});

describe('the last-key rule and rotation of expiring keys', () => {
  it('counts keys without an expiry, and keys whose only expiry is the policy’s, as non-expiring', () => {
    expect(countsAsNonExpiring(KEY)).toBe(true);
    expect(countsAsNonExpiring({ expiresAt: '2036-12-01T00:00:00.000Z', expirySource: 'policy' })).toBe(true);
    expect(countsAsNonExpiring({ expiresAt: '2036-12-01T00:00:00.000Z', expirySource: 'request' })).toBe(false);
    expect(countsAsNonExpiring({ expiresAt: '2036-12-01T00:00:00.000Z', expirySource: 'rotation' })).toBe(false);
    expect(countsAsNonExpiring({ expiresAt: '2036-12-01T00:00:00.000Z' })).toBe(false);
  });

  it('lets a key with its own expiry be rotated, but not the old key of a pending rotation', () => {
    expect(() => checkRotation({ ...KEY, expiresAt: '2036-12-01T00:00:00.000Z', expirySource: 'request' }, 1, clock.now())).not.toThrow();
    expect(() => checkRotation({ ...KEY, expiresAt: '2036-12-01T00:00:00.000Z', expirySource: 'rotation' }, 1, clock.now())).toThrow(
      RotationAlreadyScheduled,
    );
    expect(isPendingRotation({ expiresAt: null, expirySource: null })).toBe(false);
  });
});

describe('reminders', () => {
  const expiresAt = '2036-12-03T04:00:00.000Z';

  it('falls due each mark before the expiry', () => {
    expect(reminderTime(expiresAt, 7).toISOString()).toBe('2036-11-26T04:00:00.000Z');
    expect(reminderTime(expiresAt, 1).toISOString()).toBe('2036-12-02T04:00:00.000Z');
    expect(reminderTime(expiresAt, 2, 1000).toISOString()).toBe('2036-12-03T03:59:58.000Z');
  });

  it('is ahead only while its time is strictly in the future', () => {
    expect(isReminderAhead(expiresAt, 7, clock.now())).toBe(false);
    clock.advance(-1);
    expect(isReminderAhead(expiresAt, 7, clock.now())).toBe(true);
    clock.set('2036-12-02T03:59:59.999Z');
    expect([7, 1].filter((mark) => isReminderAhead(expiresAt, mark, clock.now()))).toEqual([1]);
  });

  it('keeps the marks distinct and largest first', () => {
    expect(sortReminderDays([1, 30, 7, 30])).toEqual([30, 7, 1]);
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
