import type { AllowedIps } from './allowed-ips';
import { ApiKeyLimitReached, PreconditionFailed, RotationAlreadyScheduled, ValidationFailed } from './errors';
import type { Permissions } from './permissions';

/** At most 100 keys per organization (API.md §3 Limits). */
export const MAX_KEYS_PER_ORGANIZATION = 100;
export const MAX_NAME_LENGTH = 100;
/** A scheduled rotation may keep the old key alive for at most this long. */
export const MAX_ROTATION_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

/** The version of a new key; every change to the key adds one (DESIGN.md "Concurrency"). */
export const FIRST_VERSION = 1;

/** A key as the store keeps it: what admins see, plus the lookup hash and the encrypted token. */
export interface StoredApiKey {
  id: string;
  /** Changes with every change to the key (not with `last_used_at`); its `ETag`. */
  version: number;
  organizationId: string;
  name: string | null;
  maskedValue: string;
  permissions: Permissions;
  /** The source addresses the key may be used from (API.md §9); null or absent: any. */
  allowedIps?: AllowedIps;
  /**
   * The organization's usage identifier when the key was minted (API.md §9), copied onto the hot
   * item only (the key item never holds it); absent before the organization has one.
   */
  usageIdentifier?: string;
  createdAt: string;
  /** When the key stops working: a pending scheduled rotation, or the key's own expiry (API.md §8). */
  expiresAt: string | null;
  /**
   * Why the key has an `expiresAt` (null without one; absent on keys written before expiring keys,
   * whose only expiry was a rotation's). See ExpirySource.
   */
  expirySource?: ExpirySource | null;
  /**
   * The `expiry_reminder_days` marks whose reminder jobs were created for the current `expiresAt`
   * (their names derive from these and `retirementJobId`), so whatever ends the expiry removes them.
   */
  reminderMarks?: readonly number[];
  lastUsedAt: string | null;
  tokenHash: string;
  /** The token encrypted by a SecretBox, bound to {organization_id, api_key_id}. */
  encryptedToken: string;
  /**
   * The id of the lifecycle jobs (retirement, reminders) of the pending expiry, so whatever ends or
   * moves the expiry can remove them. Null without a pending expiry, and for rotations scheduled
   * before jobs had ids.
   */
  retirementJobId: string | null;
}

/**
 * Where a key's `expires_at` comes from:
 *   - `rotation`: the old key of a scheduled rotation (retired with `api_key.retired`);
 *   - `request`: asked for on create or PATCH (expires with `api_key.expired`);
 *   - `policy`: the organization's `max_key_lifetime_days` gave it to a new key. It expires like
 *     `request`, but for the last-key rule it counts as non-expiring (API.md §8): the policy means
 *     every key must be renewed in time, not that the organization may lose its last key.
 */
export type ExpirySource = 'rotation' | 'request' | 'policy';

/** A key's expiry and the jobs that carry it out (null expiresAt: none). */
export interface Expiry {
  expiresAt: string | null;
  expirySource: ExpirySource | null;
  /** Id of the retirement and reminder jobs of this expiry. */
  retirementJobId: string | null;
  reminderMarks: readonly number[];
}

/** The fields a PATCH may change; an omitted field stays as it is. */
export interface KeyChanges {
  name?: string | null;
  permissions?: Permissions;
  /** Replaces the allowlist; null: any source. */
  allowedIps?: AllowedIps;
  /** Sets, moves or clears the key's own expiry (never a pending rotation's). */
  expiry?: Expiry;
}

/** The source of a key's pending expiry, reading a key from before sources were stored as a rotation's. */
export function expirySourceOf(key: Pick<StoredApiKey, 'expiresAt' | 'expirySource'>): ExpirySource | null {
  if (key.expiresAt === null) return null;
  return key.expirySource ?? 'rotation';
}

/** The old key of a scheduled rotation: it may be neither rotated again nor given another expiry. */
export function isPendingRotation(key: Pick<StoredApiKey, 'expiresAt' | 'expirySource'>): boolean {
  return expirySourceOf(key) === 'rotation';
}

/**
 * Whether the last-key rule counts the key as non-expiring (`active_key_count`): no expiry, or
 * only the one the lifetime policy gave it (API.md §8).
 */
export function countsAsNonExpiring(key: Pick<StoredApiKey, 'expiresAt' | 'expirySource'>): boolean {
  const source = expirySourceOf(key);
  return source === null || source === 'policy';
}

/** What the authorizer reads in one GetItem: the hot item keyed by the token's hash. */
export interface HotKey {
  tokenHash: string;
  organizationId: string;
  apiKeyId: string;
  permissions: Permissions;
  /**
   * The allowlist as stored (null or absent: any source); `ipAllowed` reads it and fails closed on
   * anything that is not a list of blocks.
   */
  allowedIps?: unknown;
  /**
   * The organization's usage identifier (API.md §9): the value of the API Gateway API key, in the
   * usage plan of the organization's plan, that the authorizer names as `usageIdentifierKey`.
   * Copied onto the hot item; absent before the organization has one.
   */
  usageIdentifier?: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** The key object of the management API (API.md §3). */
export interface ApiKeyView {
  id: string;
  organization_id: string;
  name: string | null;
  masked_value: string;
  permissions: Permissions;
  allowed_ips: AllowedIps;
  created_at: string;
  expires_at: string | null;
  /** Where `expires_at` comes from (API.md §3): a pending rotation, the request, or the lifetime policy; null without one. */
  expiry_source: ExpirySource | null;
  last_used_at: string | null;
}

export type ApiKeyWithValue = ApiKeyView & { value: string };

/** A key object and the version it is at: the HTTP layer sends the version as `ETag`, not in the body. */
export type Versioned<T extends ApiKeyView> = T & { version: number };

/**
 * An `If-Match` that is not `*` or a list of entity tags: refused (422) only once what it is about
 * is known to exist, so an unknown key is 404 whatever `If-Match` says (API.md §3 Limits).
 */
export interface InvalidPrecondition {
  readonly invalid: ValidationFailed;
}

/**
 * What a request's `If-Match` allows: the versions the client expects the key to be at (`*` or no
 * `If-Match` is no precondition, so `undefined`). An empty list can match no version.
 */
export type ExpectedVersions = readonly number[] | InvalidPrecondition | undefined;

/**
 * Throws PreconditionFailed when the client expects versions and the key (or the settings) is at
 * none of them, and the malformed `If-Match`'s ValidationFailed once the caller found the thing.
 */
export function checkVersion(current: { version: number }, expected: ExpectedVersions): void {
  if (expected === undefined) return;
  if ('invalid' in expected) throw expected.invalid;
  if (!expected.includes(current.version)) throw new PreconditionFailed();
}

export function toApiKeyView(key: StoredApiKey): ApiKeyView {
  return {
    id: key.id,
    organization_id: key.organizationId,
    name: key.name,
    masked_value: key.maskedValue,
    permissions: key.permissions,
    allowed_ips: key.allowedIps ?? null,
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    expiry_source: expirySourceOf(key),
    last_used_at: key.lastUsedAt,
  };
}

/**
 * A key is expired from its `expires_at` instant on, whether or not it has been retired yet.
 * Fails closed: an `expires_at` that is not an instant as the store writes it counts as expired,
 * so damaged data can only ever stop a key, never keep one alive.
 */
export function isExpired(expiresAt: string | null, now: Date): boolean {
  if (expiresAt === null) return false;
  const at = parseInstant(expiresAt);
  return at === undefined || at <= now.getTime();
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * Milliseconds since the epoch of an ISO-8601 date-time with a zone, or undefined for anything
 * else. Stricter than `Date.parse`, which also reads other formats and rolls `02-30` over into March.
 */
export function parseInstant(text: string): number | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return Date.parse(text);
}

/**
 * How long a change may take to land in the table after it was judged. DynamoDB's conditions have
 * no clock of their own: the store conditions a change on the key not having expired by the
 * judging instant plus this margin, so a write that is slow to arrive can never land after the
 * expiry and revive a key the authorizer already refuses (issue 16). A key within this margin of
 * its expiry is treated as expired by PATCH and rotate.
 */
export const CHANGE_LANDING_MARGIN_MS = 1000;

/** The instant a change judged at `now` must land by: the key must not have expired then. */
export function landingDeadline(now: Date): Date {
  return new Date(now.getTime() + CHANGE_LANDING_MARGIN_MS);
}

/** The refusal of any change to a key past its `expires_at` that is not yet retired (API.md §8: 422 before, 404 once retired). */
export function keyHasExpired(): ValidationFailed {
  return new ValidationFailed({ expires_at: ['the key has already expired'] });
}

/**
 * Whether `key` may still be changed (PATCH) or rotated at `now` (API.md §3, §8): the old key of a
 * pending rotation is frozen (422 `rotation_already_scheduled`: change its successor), and a key
 * past its `expires_at` (or within CHANGE_LANDING_MARGIN_MS of it) is over, nothing revives it. The
 * store's transaction conditions every write on the same two facts, so a change read just before
 * the expiry or the rotation cannot commit after it.
 */
export function checkChangeable(key: Pick<StoredApiKey, 'expiresAt' | 'expirySource'>, now: Date): void {
  if (isPendingRotation(key)) throw new RotationAlreadyScheduled();
  if (isExpired(key.expiresAt, landingDeadline(now))) throw keyHasExpired();
}

/**
 * The rules a rotation must pass before anything is scheduled (API.md §3 Rotation, Limits; a key
 * with its own or the policy's expiry may be rotated until that expiry, a pending rotation never):
 * the store's transaction checks them again, this check only keeps a refused request from creating
 * a retirement job at all. `keyCount` is read only for a scheduled rotation, which keeps the old
 * key until it is retired and so needs room for one more.
 */
export function checkRotation(old: StoredApiKey, keyCount: number | null, now: Date): void {
  checkChangeable(old, now);
  if (keyCount !== null && keyCount >= MAX_KEYS_PER_ORGANIZATION) throw new ApiKeyLimitReached();
}

export const EXPIRES_IN = ['now', '1h', '24h', '48h', '7d'] as const;
export type ExpiresIn = (typeof EXPIRES_IN)[number];

const EXPIRES_IN_MS: Record<ExpiresIn, number> = {
  now: 0,
  '1h': 60 * 60 * 1000,
  '24h': 24 * 60 * 60 * 1000,
  '48h': 48 * 60 * 60 * 1000,
  '7d': MAX_ROTATION_DELAY_MS,
};

export type RotationRequest = { expires_in: ExpiresIn } | { expires_at: string };

/**
 * When the old key stops working: null for an instant rotation (`now`, or `expires_at` at or
 * before now), otherwise the future instant, at most seven days ahead.
 */
export function rotationExpiry(request: RotationRequest, now: Date): Date | null {
  const at = 'expires_in' in request ? new Date(now.getTime() + EXPIRES_IN_MS[request.expires_in]) : new Date(request.expires_at);
  if (at.getTime() <= now.getTime()) return null;
  if (at.getTime() - now.getTime() > MAX_ROTATION_DELAY_MS) {
    throw new ValidationFailed({ expires_at: ['must be at most 7 days ahead'] });
  }
  return at;
}
