import { ipAllowed } from './allowed-ips';
import { type HotKey, isExpired } from './api-key';
import { allows, type ForbiddenCode, forbiddenCode } from './permissions';
import type { RouteDefinition } from './routes';
import { hashToken, isWellFormedToken } from './token';

/**
 * The consumer-side decision (API.md §1) as data: what the api-key authorizer answers for a
 * presented token, the key it names and the route, without any I/O. Callers switch on `kind`
 * (one metric per kind, with `reason` or `code` as its dimension), rather than catching errors.
 */

/** The code in the Deny context when the route is not in the route table (fail closed). */
export const ROUTE_NOT_ALLOWED = 'route_not_allowed';

/** The code in the Deny context when the request's source address is outside the key's `allowed_ips` (API.md §9). */
export const IP_NOT_ALLOWED = 'ip_not_allowed';

/**
 * Why a request is answered 401: no token, a token that cannot be a key of this deployment
 * (shape, prefix, checksum), a well-formed token that names no key, a key past its `expires_at`.
 */
export type UnauthorizedReason = 'missing' | 'malformed' | 'unknown' | 'expired';

/**
 * The 403 codes: a source address outside the key's allowlist, a route outside the route table,
 * or a mode the key's permissions do not grant.
 */
export type DenyCode = typeof IP_NOT_ALLOWED | typeof ROUTE_NOT_ALLOWED | ForbiddenCode;

export interface Unauthorized {
  kind: 'unauthorized';
  reason: UnauthorizedReason;
}

export interface Deny {
  kind: 'deny';
  code: DenyCode;
  key: HotKey;
  /** Undefined when the route is not in the route table (`route_not_allowed`, or `ip_not_allowed` before it). */
  route: RouteDefinition | undefined;
}

export interface Allow {
  kind: 'allow';
  key: HotKey;
  route: RouteDefinition;
}

export type Decision = Allow | Deny | Unauthorized;

/** What a well-formed token is looked up by. */
export interface Lookup {
  kind: 'lookup';
  tokenHash: string;
}

// One frozen object per reason: refusing costs no allocation.
const UNAUTHORIZED: { readonly [reason in UnauthorizedReason]: Readonly<Unauthorized> } = {
  missing: Object.freeze({ kind: 'unauthorized', reason: 'missing' }),
  malformed: Object.freeze({ kind: 'unauthorized', reason: 'malformed' }),
  unknown: Object.freeze({ kind: 'unauthorized', reason: 'unknown' }),
  expired: Object.freeze({ kind: 'unauthorized', reason: 'expired' }),
};

/**
 * The step before any I/O: a request without a token, or with one that cannot be a key of this
 * deployment, is refused here, so a mistyped or forged key costs no read unit. Otherwise the
 * token's hash, which the hot item is keyed by.
 */
export function screenToken(token: string | undefined, keyPrefix: string): Unauthorized | Lookup {
  if (token === undefined) return UNAUTHORIZED.missing;
  if (!isWellFormedToken(token, keyPrefix)) return UNAUTHORIZED.malformed;
  return { kind: 'lookup', tokenHash: hashToken(token) };
}

/**
 * The decision for the key a well-formed token names (`undefined`: none) on `route` (`undefined`:
 * not in the route table) at `now`, for a request from `sourceIp`. A key used from outside its
 * allowlist is refused whatever the route (`ip_not_allowed`). Fails closed on damaged stored data:
 * a key without an organization or key id is unknown, an `expires_at` that is not an instant is
 * expired, an allowlist that is not a list of blocks allows no address, and permissions that are
 * not lists of modes grant nothing.
 */
export function decide(key: HotKey | undefined, route: RouteDefinition | undefined, now: Date, sourceIp?: string): Decision {
  if (key === undefined || !isId(key.organizationId) || !isId(key.apiKeyId)) return UNAUTHORIZED.unknown;
  if (isExpired(key.expiresAt, now)) return UNAUTHORIZED.expired;
  if (!ipAllowed(key.allowedIps, sourceIp)) return { kind: 'deny', code: IP_NOT_ALLOWED, key, route };
  if (route === undefined) return { kind: 'deny', code: ROUTE_NOT_ALLOWED, key, route };
  if (!allows(key.permissions, route.resource, route.mode)) {
    return { kind: 'deny', code: forbiddenCode(route.resource, route.mode), key, route };
  }
  return { kind: 'allow', key, route };
}

/**
 * Whether the request counts as a use of its key (`last_used_at`): an authenticated request on a
 * route of the table that tracks usage, allowed or denied for permission. A request from outside
 * the key's allowlist does not: whoever sent it may not use the key at all.
 */
export function countsAsUse(decision: Decision): decision is (Allow | Deny) & { route: RouteDefinition } {
  return (
    decision.kind !== 'unauthorized' &&
    decision.route !== undefined &&
    decision.route.tracksUsage &&
    !(decision.kind === 'deny' && decision.code === IP_NOT_ALLOWED)
  );
}

function isId(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}
