import type { HotKey, KeyChanges, StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import { normalizePermissions, type Permissions } from '../../domain/permissions';
import type { Member, Membership, Organization, Role } from '../../domain/ports';
import {
  apiKeyKey,
  auditEventKey,
  ENTITY,
  hotKeyKey,
  LAST_USED_AT_ATTRIBUTE,
  memberKey,
  membershipKey,
  organizationKey,
  TTL_ATTRIBUTE,
  VERSION_ATTRIBUTE,
} from './table-layout';

/**
 * Items ↔ domain objects: the one place that knows which attribute holds which field. Readers take
 * what is stored without trusting it (a missing optional attribute reads as null).
 */

export type Item = Record<string, unknown>;

/**
 * The version of a key item written before keys had versions (no `version` attribute): the first
 * change to such a key is conditioned on the attribute's absence and writes version 1.
 */
export const UNVERSIONED = 0;

/** How long after `expires_at` the TTL removes a hot item the retirement job never removed. */
const HOT_ITEM_TTL_GRACE_SECONDS = 24 * 60 * 60;

export function organizationItem(organization: Organization, admins: number): Item {
  return {
    ...organizationKey(organization.id),
    entity: ENTITY.organization,
    id: organization.id,
    name: organization.name,
    created_at: organization.createdAt,
    // A new organization holds its first key.
    key_count: 1,
    active_key_count: 1,
    admin_count: admins,
  };
}

export function toOrganization(item: Item): Organization {
  return { id: String(item.id), name: String(item.name), createdAt: String(item.created_at) };
}

/** The organization's `key_count` (keys pending retirement included). */
export function keyCountOf(item: Item): number {
  return Number(item.key_count ?? 0);
}

export function memberItem(member: Member): Item {
  return {
    ...memberKey(member.organizationId, member.email),
    entity: ENTITY.member,
    organization_id: member.organizationId,
    email: member.email,
    role: member.role,
  };
}

/** A member item's inverse, keyed by email (table-layout.ts). */
export function membershipItem(member: Member, organizationName: string): Item {
  return {
    ...membershipKey(member.organizationId, member.email),
    entity: ENTITY.membership,
    organization_id: member.organizationId,
    organization_name: organizationName,
    email: member.email,
    role: member.role,
  };
}

export function toMembership(item: Item): Membership {
  return { organizationId: String(item.organization_id), organizationName: String(item.organization_name), role: item.role as Role };
}

export function toMember(item: Item): Member {
  return { organizationId: String(item.organization_id), email: String(item.email), role: item.role as Role };
}

export function apiKeyItem(key: StoredApiKey): Item {
  return {
    ...apiKeyKey(key.organizationId, key.id),
    entity: ENTITY.apiKey,
    id: key.id,
    organization_id: key.organizationId,
    name: key.name,
    masked_value: key.maskedValue,
    permissions: key.permissions,
    created_at: key.createdAt,
    expires_at: key.expiresAt ?? undefined,
    [LAST_USED_AT_ATTRIBUTE]: key.lastUsedAt ?? undefined,
    token_hash: key.tokenHash,
    encrypted_token: key.encryptedToken,
    [VERSION_ATTRIBUTE]: key.version,
    retirement_job_id: key.retirementJobId ?? undefined,
  };
}

export function toStoredKey(item: Item): StoredApiKey {
  const version = item[VERSION_ATTRIBUTE];
  return {
    id: String(item.id),
    organizationId: String(item.organization_id),
    name: optionalString(item.name),
    maskedValue: String(item.masked_value),
    // A DynamoDB map keeps no order; admins see resources sorted, as they were written.
    permissions: normalizePermissions(item.permissions as Permissions),
    createdAt: String(item.created_at),
    expiresAt: optionalString(item.expires_at),
    lastUsedAt: optionalString(item[LAST_USED_AT_ATTRIBUTE]),
    tokenHash: String(item.token_hash),
    encryptedToken: String(item.encrypted_token),
    version: typeof version === 'number' ? version : UNVERSIONED,
    retirementJobId: optionalString(item.retirement_job_id),
  };
}

/** The hot item of a new key: what the authorizer needs, and the version it reflects. */
export function hotKeyItem(key: StoredApiKey): Item {
  return {
    ...hotKeyKey(key.tokenHash),
    entity: ENTITY.hotKey,
    organization_id: key.organizationId,
    api_key_id: key.id,
    permissions: key.permissions,
    [VERSION_ATTRIBUTE]: key.version,
  };
}

/**
 * The authorizer's view of a hot item, passed on as stored: `decide` (domain/authorization.ts)
 * fails closed on whatever is damaged, so nothing here may turn a bad value into a good one.
 */
export function toHotKey(item: Item, tokenHash: string): HotKey {
  return {
    tokenHash,
    organizationId: item.organization_id as string,
    apiKeyId: item.api_key_id as string,
    permissions: item.permissions as Permissions,
    // Not optionalString: a malformed expires_at must reach isExpired (which fails closed), not read as "none".
    expiresAt: item.expires_at === undefined || item.expires_at === null ? null : String(item.expires_at),
    lastUsedAt: optionalString(item[LAST_USED_AT_ATTRIBUTE]),
  };
}

/** The attributes a change sets: only the named fields, on the key item, and permissions on the hot item too. */
export function keyChangeAttributes(changes: KeyChanges): { apiKey: Item; hotKey: Item } {
  const apiKey: Item = {};
  if (changes.name !== undefined) apiKey.name = changes.name;
  if (changes.permissions !== undefined) apiKey.permissions = changes.permissions;
  return { apiKey, hotKey: changes.permissions === undefined ? {} : { permissions: changes.permissions } };
}

/**
 * The attributes a scheduled rotation sets on the old key: its expiry (and job) on the key item; its
 * expiry on the hot item, with a TTL a day later in case the retirement job never removes it.
 */
export function pendingExpiryAttributes(expiresAt: string, retirementJobId: string | null): { apiKey: Item; hotKey: Item } {
  return {
    apiKey: { expires_at: expiresAt, retirement_job_id: retirementJobId ?? undefined },
    hotKey: { expires_at: expiresAt, [TTL_ATTRIBUTE]: Math.ceil(Date.parse(expiresAt) / 1000) + HOT_ITEM_TTL_GRACE_SECONDS },
  };
}

export function auditEventItem(event: AuditEvent): Item {
  return {
    ...auditEventKey(event.organizationId, event.id),
    entity: ENTITY.auditEvent,
    id: event.id,
    organization_id: event.organizationId,
    type: event.type,
    occurred_at: event.occurredAt,
    actor: event.actor,
    api_key_id: event.apiKeyId,
    details: event.details,
  };
}

export function toAuditEvent(item: Item): AuditEvent {
  return {
    id: String(item.id),
    organizationId: String(item.organization_id),
    type: item.type as AuditEvent['type'],
    occurredAt: String(item.occurred_at),
    actor: item.actor as AuditEvent['actor'],
    apiKeyId: String(item.api_key_id),
    details: (item.details ?? {}) as Record<string, unknown>,
  };
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
