import { checkRotation, checkVersion, MAX_KEYS_PER_ORGANIZATION, type StoredApiKey } from '../../../lambdas/domain/api-key';
import { ApiKeyLimitReached, PreconditionFailed, RotationAlreadyScheduled } from '../../../lambdas/domain/errors';
import { StaleState } from '../../../lambdas/domain/ports';
import { retryOnConflict } from '../../../lambdas/domain/retry-on-conflict';

const KEY: StoredApiKey = {
  id: '01KAXQ3N8Y4B5C6D7E8F9G0H1J',
  version: 4,
  organizationId: 'acme',
  name: null,
  maskedValue: 'kw_••••••••9fQz',
  permissions: { customer: ['read'] },
  createdAt: '2026-11-26T04:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
  tokenHash: 'hash',
  encryptedToken: 'sealed',
  retirementJobId: null,
};

describe('If-Match (checkVersion)', () => {
  it('passes without a precondition, or when the key is at one of the expected versions', () => {
    expect(() => checkVersion(KEY, undefined)).not.toThrow();
    expect(() => checkVersion(KEY, [4])).not.toThrow();
    expect(() => checkVersion(KEY, [2, 4])).not.toThrow();
  });

  it('refuses with PreconditionFailed when the key is at another version, or nothing can match', () => {
    expect(() => checkVersion(KEY, [3])).toThrow(PreconditionFailed);
    expect(() => checkVersion(KEY, [])).toThrow(PreconditionFailed);
  });
});

const NOW = new Date('2026-11-26T04:00:00.000Z');

describe('rotation rules checked before a job is scheduled (checkRotation)', () => {
  it('refuses a key that already has a pending expiry', () => {
    expect(() => checkRotation({ ...KEY, expiresAt: '2026-11-27T04:00:00.000Z' }, null, NOW)).toThrow(RotationAlreadyScheduled);
  });

  it('refuses a scheduled rotation when the organization has no room for the old key to stay', () => {
    expect(() => checkRotation(KEY, MAX_KEYS_PER_ORGANIZATION, NOW)).toThrow(ApiKeyLimitReached);
    expect(() => checkRotation(KEY, MAX_KEYS_PER_ORGANIZATION - 1, NOW)).not.toThrow();
  });

  it('does not count keys for an instant rotation, which replaces the key', () => {
    expect(() => checkRotation(KEY, null, NOW)).not.toThrow();
  });
});

describe('retryOnConflict', () => {
  it('runs the attempt again after a lost race, until it succeeds', async () => {
    let calls = 0;
    const result = await retryOnConflict(async () => {
      calls += 1;
      if (calls < 3) throw new StaleState();
      return 'done';
    });
    expect({ result, calls }).toEqual({ result: 'done', calls: 3 });
  });

  it('gives up after the last attempt with Conflict (409 conflict, nothing changed)', async () => {
    let calls = 0;
    await expect(
      retryOnConflict(
        async () => {
          calls += 1;
          throw new StaleState('still racing');
        },
        { attempts: 4 },
      ),
    ).rejects.toMatchObject({ status: 409, code: 'conflict' });
    expect(calls).toBe(4);
  });

  it('gives up with the conflict itself when the caller says what a conflict is', async () => {
    const conflict = new Error('busy');
    await expect(
      retryOnConflict(async () => Promise.reject(conflict), { attempts: 2, isConflict: (error) => error === conflict }),
    ).rejects.toBe(conflict);
  });

  it('never retries a failure that is not a conflict', async () => {
    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls += 1;
        throw new RotationAlreadyScheduled();
      }),
    ).rejects.toBeInstanceOf(RotationAlreadyScheduled);
    expect(calls).toBe(1);
  });

  it('retries what the caller calls a conflict', async () => {
    let calls = 0;
    const result = await retryOnConflict(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('TransactionConflict');
        return calls;
      },
      { isConflict: (error) => error instanceof Error && error.message === 'TransactionConflict' },
    );
    expect(result).toBe(2);
  });
});
