import { checkChangeable, type ExpirySource, parseInstant, type StoredApiKey } from './api-key';
import { KeyLifetimeExceedsPolicy, ValidationFailed } from './errors';
import { DEFAULT_LEAKED_KEY_ACTION, type LeakedKeyAction } from './leak';

/**
 * The rules of expiring keys, the lifetime policy and expiry reminders (API.md §8). Pure: every
 * rule takes the instant it judges at, so tests drive them with a ManualClock.
 */

export const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/**
 * How early a lifecycle job may be invoked: EventBridge Scheduler runs a one-time schedule anywhere
 * in the minute of its `at()` (60-second precision), so up to a minute before the instant it is
 * for. A job invoked that early waits the rest out (the retire function's timeout covers it)
 * instead of failing and spending a retry.
 */
export const JOB_EARLY_INVOCATION_MS = 60_000;

/**
 * How many times a failed lifecycle job is retried before it is parked for an operator (`keyward
 * jobs redrive`): Lambda's asynchronous retries in AWS (at most 2), the timer loop's locally.
 */
export const JOB_RETRY_ATTEMPTS = 2;

/** `expires_in` of a new key. */
export const KEY_EXPIRES_IN = ['1h', '24h', '48h', '7d', '30d', '90d', '365d'] as const;
export type KeyExpiresIn = (typeof KEY_EXPIRES_IN)[number];

const KEY_EXPIRES_IN_MS: Record<KeyExpiresIn, number> = {
  '1h': HOUR_MS,
  '24h': 24 * HOUR_MS,
  '48h': 48 * HOUR_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  '90d': 90 * DAY_MS,
  '365d': 365 * DAY_MS,
};

/** What a create asked for: a relative or an absolute expiry (the schema allows one at most), or none. */
export interface KeyExpiryRequest {
  expires_in?: KeyExpiresIn;
  expires_at?: string;
}

/** An organization's key policy (`GET/PATCH …/settings`). */
export interface OrganizationSettings {
  /** Null: keys may live forever. */
  maxKeyLifetimeDays: number | null;
  /** Distinct, sorted descending: how many days before an `expires_at` the admins are reminded. */
  expiryReminderDays: readonly number[];
  /** What a report of one of its keys found in public does (API.md §10); absent: the default, `rotate`. */
  leakedKeyAction?: LeakedKeyAction;
}

/**
 * An organization's settings and their version (the settings' `ETag`, API.md §8): it changes with
 * every change of the settings, never with the organization's other attributes (key counters,
 * admin count). 0 for an organization whose settings were never changed since versions exist.
 */
export interface VersionedSettings extends OrganizationSettings {
  version: number;
}

/** The fields a settings PATCH names; an omitted field stays as it is. */
export type SettingsChanges = Partial<OrganizationSettings>;

export const MAX_KEY_LIFETIME_DAYS = 730;
export const MAX_REMINDER_DAYS = 365;
export const MAX_REMINDER_MARKS = 10;
export const DEFAULT_SETTINGS: OrganizationSettings = {
  maxKeyLifetimeDays: null,
  expiryReminderDays: [7, 1],
  leakedKeyAction: DEFAULT_LEAKED_KEY_ACTION,
};

/** Reminder marks as they are stored and answered: distinct, largest first. */
export function sortReminderDays(days: readonly number[]): number[] {
  return [...new Set(days)].sort((a, b) => b - a);
}

/** The instant `request` asks a new key to expire at, or null for none. */
export function requestedExpiry(request: KeyExpiryRequest, now: Date): Date | null {
  if (request.expires_in !== undefined) return new Date(now.getTime() + KEY_EXPIRES_IN_MS[request.expires_in]);
  if (request.expires_at !== undefined) return new Date(request.expires_at);
  return null;
}

/**
 * The expiry of a new key (created, or the new key of a rotation) created at `createdAt`: the one
 * asked for, which must be ahead and within the policy's maximum lifetime; without one, the
 * policy's `createdAt + max` (marked `policy`); or none.
 */
export function newKeyExpiry(
  requested: Date | null,
  createdAt: Date,
  settings: OrganizationSettings,
): { expiresAt: string; expirySource: Extract<ExpirySource, 'request' | 'policy'> } | null {
  const max = settings.maxKeyLifetimeDays;
  if (requested === null) {
    return max === null ? null : { expiresAt: new Date(createdAt.getTime() + max * DAY_MS).toISOString(), expirySource: 'policy' };
  }
  checkAhead(requested, createdAt);
  checkLifetime(requested, createdAt, settings);
  return { expiresAt: requested.toISOString(), expirySource: 'request' };
}

/**
 * What a PATCH of `expires_at` does to `key` at `now`: the expiry the key gets (null: cleared), or
 * undefined when it changes nothing. A pending rotation keeps its expiry (422
 * `rotation_already_scheduled`), an expired key stays expired; a new expiry must be ahead and within the policy counted from the
 * key's creation; with a policy, an expiry cannot be cleared (the key would outlive it).
 */
export function patchedExpiry(
  key: Pick<StoredApiKey, 'expiresAt' | 'expirySource' | 'createdAt'>,
  expiresAt: string | null,
  now: Date,
  settings: OrganizationSettings,
): { expiresAt: string | null; expirySource: 'request' | null } | undefined {
  // Past its expiry the key is dead (the authorizer refuses it) and only waits for its retirement.
  checkChangeable(key, now);
  if (expiresAt === null) {
    if (key.expiresAt === null) return undefined;
    if (settings.maxKeyLifetimeDays !== null) throw new KeyLifetimeExceedsPolicy();
    return { expiresAt: null, expirySource: null };
  }
  const at = new Date(expiresAt);
  checkAhead(at, now);
  checkLifetime(at, new Date(key.createdAt), settings);
  const same = key.expiresAt !== null && parseInstant(key.expiresAt) === at.getTime() && key.expirySource === 'request';
  return same ? undefined : { expiresAt: at.toISOString(), expirySource: 'request' };
}

function checkAhead(at: Date, now: Date): void {
  if (at.getTime() <= now.getTime()) throw new ValidationFailed({ expires_at: ['must be in the future'] });
}

function checkLifetime(at: Date, createdAt: Date, settings: OrganizationSettings): void {
  const max = settings.maxKeyLifetimeDays;
  if (max !== null && at.getTime() - createdAt.getTime() > max * DAY_MS) throw new KeyLifetimeExceedsPolicy();
}

/** When the reminder of `markDays` before `expiresAt` is due; `dayMs` is a day's length (shortened only by the local runtime's tests). */
export function reminderTime(expiresAt: string, markDays: number, dayMs = DAY_MS): Date {
  return new Date(Date.parse(expiresAt) - markDays * dayMs);
}

/** Whether the reminder of `markDays` before `expiresAt` is still ahead at `now`: only those are scheduled. */
export function isReminderAhead(expiresAt: string, markDays: number, now: Date, dayMs = DAY_MS): boolean {
  return reminderTime(expiresAt, markDays, dayMs).getTime() > now.getTime();
}
