/**
 * The "still in use" warning (API.md §8): a key with a pending `expires_at` (the old key of a
 * scheduled rotation, or an expiring key) that was used within the last hour before it, warned
 * once per key and expiry. Decided from what is already stored (`last_used_at`, written by the
 * authorizer at most once a minute), so the authorizer's hot path does not change.
 */

/** How long before `expires_at` a use counts as "still in use". */
export const STILL_IN_USE_WINDOW_MS = 60 * 60 * 1000;

/** What the rule needs of a key, as stored. */
export interface KeyUsage {
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** The `expires_at` a warning was already given for, if any. */
  warnedFor: string | null;
}

export type StillInUseDecision =
  | { warn: true; expiresAt: string; lastUsedAt: string }
  | { warn: false; reason: 'no_expiry' | 'never_used' | 'used_before_window' | 'used_after_expiry' | 'already_warned' };

/**
 * Whether `key` deserves the warning. `windowMs` is the rule's one parameter: one hour, shortened
 * only by the local runtime for its end-to-end tests. A date that does not parse warns nobody.
 *
 * The time of the check plays no part: the same stored facts give the same answer whenever a
 * lagging stream delivers them, and a key already retired cannot be warned (its item is gone).
 */
export function stillInUse(key: KeyUsage, windowMs: number = STILL_IN_USE_WINDOW_MS): StillInUseDecision {
  if (key.expiresAt === null) return { warn: false, reason: 'no_expiry' };
  if (key.lastUsedAt === null) return { warn: false, reason: 'never_used' };
  const expiresAt = Date.parse(key.expiresAt);
  const lastUsedAt = Date.parse(key.lastUsedAt);
  if (Number.isNaN(expiresAt)) return { warn: false, reason: 'no_expiry' };
  if (Number.isNaN(lastUsedAt)) return { warn: false, reason: 'never_used' };
  if (lastUsedAt < expiresAt - windowMs) return { warn: false, reason: 'used_before_window' };
  // The authorizer refuses a key from expires_at on, so a later stamp is damaged data, not a use.
  if (lastUsedAt >= expiresAt) return { warn: false, reason: 'used_after_expiry' };
  if (key.warnedFor !== null && Date.parse(key.warnedFor) === expiresAt) return { warn: false, reason: 'already_warned' };
  return { warn: true, expiresAt: key.expiresAt, lastUsedAt: key.lastUsedAt };
}
