import type { ApiKey } from './api/client';

/**
 * The list's rules (API.md §7), the same the API enforces, so the console never offers an action
 * the API would refuse: no second rotation of a key whose expiry is pending, and never deleting
 * the last key without one.
 */
export function hasPendingExpiry(key: ApiKey): boolean {
  return key.expires_at !== null;
}

export function canRotate(key: ApiKey): boolean {
  return !hasPendingExpiry(key);
}

export function canDelete(key: ApiKey, keys: readonly ApiKey[]): boolean {
  return hasPendingExpiry(key) || keys.some((other) => other.id !== key.id && !hasPendingExpiry(other));
}
