import type { ApiKey } from './api/client';

/**
 * The list's rules (API.md §3, §7, §8), the same the API enforces, so the console never offers an
 * action the API would refuse and never hides one it allows. `expiry_source` tells them apart: a
 * key being replaced (`rotation`) from a key that simply expires (`request`, `policy`).
 */
export function hasPendingExpiry(key: ApiKey): boolean {
  return key.expires_at !== null;
}

/** The old key of a pending rotation: it cannot be rotated again (or changed: its successor can). */
export function isBeingReplaced(key: ApiKey): boolean {
  return hasPendingExpiry(key) && key.expiry_source !== 'request' && key.expiry_source !== 'policy';
}

/** Past its `expires_at` (refused by the API's authorizer, waiting for its retirement): nothing revives it. */
export function hasExpired(key: ApiKey, now: number = Date.now()): boolean {
  return key.expires_at !== null && Date.parse(key.expires_at) <= now;
}

/** A key with no expiry, its own expiry or the policy's may be rotated until it expires; a pending rotation may not. */
export function canRotate(key: ApiKey, now: number = Date.now()): boolean {
  return !isBeingReplaced(key) && !hasExpired(key, now);
}

/**
 * What the last-key rule counts (API.md §8): a key without an expiry, or whose only expiry is the
 * lifetime policy's, is non-expiring.
 */
export function countsAsNonExpiring(key: ApiKey): boolean {
  return key.expires_at === null || key.expiry_source === 'policy';
}

/** The API refuses a delete only when it would leave no other non-expiring key. */
export function canDelete(key: ApiKey, keys: readonly ApiKey[]): boolean {
  return !countsAsNonExpiring(key) || keys.some((other) => other.id !== key.id && countsAsNonExpiring(other));
}
