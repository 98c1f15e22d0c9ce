import type { AllowedIps } from '../../domain/allowed-ips';
import type { Expiry, ExpirySource, HotKey, KeyChanges, StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import { DEFAULT_SETTINGS, type SettingsChanges, type VersionedSettings } from '../../domain/expiry';
import { DEFAULT_LEAKED_KEY_ACTION } from '../../domain/leak';
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
} from '../../table/layout';
import { decodeHotPermissions, encodeHotPermissions } from './hot-permissions';

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

/** A member item's inverse, keyed by email (table/layout.ts). */
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
    allowed_ips: allowedIpsAttribute(key.allowedIps),
    created_at: key.createdAt,
    expires_at: key.expiresAt ?? undefined,
    [LAST_USED_AT_ATTRIBUTE]: key.lastUsedAt ?? undefined,
    token_hash: key.tokenHash,
    encrypted_token: key.encryptedToken,
    [VERSION_ATTRIBUTE]: key.version,
    retirement_job_id: key.retirementJobId ?? undefined,
    ...expiryExtras(key),
  };
}

/** A list attribute of the allowlist; absent for none (any source). */
function allowedIpsAttribute(allowedIps: AllowedIps | undefined): string[] | undefined {
  return allowedIps ? [...allowedIps] : undefined;
}

/** The key item's expiry bookkeeping beyond `expires_at` (table/layout.ts), absent when unset. */
function expiryExtras(expiry: Pick<Expiry, 'expirySource' | 'reminderMarks'> | Partial<Expiry>): Item {
  return {
    expiry_source: expiry.expirySource ?? undefined,
    reminder_marks: expiry.reminderMarks && expiry.reminderMarks.length > 0 ? [...expiry.reminderMarks] : undefined,
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
    allowedIps: Array.isArray(item.allowed_ips) ? item.allowed_ips.map(String) : null,
    createdAt: String(item.created_at),
    expiresAt: optionalString(item.expires_at),
    lastUsedAt: optionalString(item[LAST_USED_AT_ATTRIBUTE]),
    tokenHash: String(item.token_hash),
    encryptedToken: String(item.encrypted_token),
    version: typeof version === 'number' ? version : UNVERSIONED,
    retirementJobId: optionalString(item.retirement_job_id),
    expirySource: EXPIRY_SOURCES.includes(item.expiry_source as ExpirySource) ? (item.expiry_source as ExpirySource) : null,
    reminderMarks: Array.isArray(item.reminder_marks) ? item.reminder_marks.filter((mark): mark is number => typeof mark === 'number') : [],
  };
}

const EXPIRY_SOURCES: readonly ExpirySource[] = ['rotation', 'request', 'policy'];

/**
 * The hot item of a new key: what the authorizer needs (its expiry too, for a key created to
 * expire: the authorizer refuses it from that instant, API.md §8), and the version it reflects.
 * Its permissions are one compact string (hot-permissions.ts), so that a default key's hot item
 * stays within the 1 KB of one write unit for the authorizer's `last_used_at` write.
 */
export function hotKeyItem(key: StoredApiKey): Item {
  return {
    ...hotKeyKey(key.tokenHash),
    entity: ENTITY.hotKey,
    organization_id: key.organizationId,
    api_key_id: key.id,
    permissions: encodeHotPermissions(key.permissions),
    allowed_ips: allowedIpsAttribute(key.allowedIps),
    usage_identifier: key.usageIdentifier,
    [VERSION_ATTRIBUTE]: key.version,
    ...(key.expiresAt === null ? {} : pendingExpiryAttributes(key.expiresAt, null).hotKey),
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
    // Either encoding (hot-permissions.ts); anything malformed as stored, which `allows` refuses.
    permissions: decodeHotPermissions(item.permissions) as Permissions,
    // As stored: ipAllowed fails closed on a value that is not a list of blocks.
    allowedIps: item.allowed_ips,
    ...(typeof item.usage_identifier === 'string' && item.usage_identifier !== '' ? { usageIdentifier: item.usage_identifier } : {}),
    // Not optionalString: a malformed expires_at must reach isExpired (which fails closed), not read as "none".
    expiresAt: item.expires_at === undefined || item.expires_at === null ? null : String(item.expires_at),
    lastUsedAt: optionalString(item[LAST_USED_AT_ATTRIBUTE]),
  };
}

/** What one item's update writes: attributes to set, and attributes to remove. */
export interface ItemChange {
  set: Item;
  remove: string[];
}

/**
 * The attributes a change sets (and removes): only the named fields, on the key item; permissions
 * (in the hot item's encoding, which also rewrites a hot item of the previous one), the allowlist
 * and the expiry on the hot item too. A new or cleared expiry forgets the reminders sent for the
 * previous one, so the marks now ahead of the new one are reminded again (API.md §8).
 */
export function keyChangeAttributes(changes: KeyChanges): { apiKey: ItemChange; hotKey: ItemChange } {
  const apiKey: ItemChange = { set: {}, remove: [] };
  const hotKey: ItemChange = { set: {}, remove: [] };
  if (changes.name !== undefined) apiKey.set.name = changes.name;
  if (changes.permissions !== undefined) {
    apiKey.set.permissions = changes.permissions;
    hotKey.set.permissions = encodeHotPermissions(changes.permissions);
  }
  if (changes.allowedIps !== undefined) {
    // Denormalized onto the hot item: the authorizer decides from the one item it reads (API.md §9).
    if (changes.allowedIps === null) {
      apiKey.remove.push('allowed_ips');
      hotKey.remove.push('allowed_ips');
    } else {
      apiKey.set.allowed_ips = [...changes.allowedIps];
      hotKey.set.allowed_ips = [...changes.allowedIps];
    }
  }
  if (changes.expiry !== undefined) {
    const { expiry } = changes;
    apiKey.remove.push(REMINDERS_SENT_ATTRIBUTE);
    if (expiry.expiresAt === null) {
      apiKey.remove.push('expires_at', 'expiry_source', 'retirement_job_id', 'reminder_marks');
      hotKey.remove.push('expires_at', TTL_ATTRIBUTE);
    } else {
      const pending = pendingExpiryAttributes(expiry.expiresAt, expiry.retirementJobId);
      const extras = expiryExtras(expiry);
      Object.assign(apiKey.set, pending.apiKey, extras);
      Object.assign(hotKey.set, pending.hotKey);
      apiKey.remove.push(
        ...(['retirement_job_id', 'expiry_source', 'reminder_marks'] as const).filter((name) => apiKey.set[name] === undefined),
      );
    }
  }
  return { apiKey, hotKey };
}

/**
 * The key item's record of the reminders sent for its current `expires_at`: a string set of marks
 * (days). The reminder's transaction adds its mark on the condition that it is absent, which makes
 * each reminder exactly-once; any change of `expires_at` removes the set.
 */
export const REMINDERS_SENT_ATTRIBUTE = 'reminders_sent';

/**
 * The organization item's attribute holding the settings' version (their `ETag`): its own, since
 * the item's other attributes (key counters, admin count) change without changing the settings.
 * Absent: version 0.
 */
export const SETTINGS_VERSION_ATTRIBUTE = 'settings_version';

/** The organization item's key policy, defaults where an attribute is absent (API.md §8), and its version. */
export function toSettings(item: Item): VersionedSettings {
  const max = item.max_key_lifetime_days;
  const marks = item.expiry_reminder_days;
  const version = item[SETTINGS_VERSION_ATTRIBUTE];
  return {
    version: typeof version === 'number' ? version : 0,
    maxKeyLifetimeDays: typeof max === 'number' ? max : null,
    expiryReminderDays: Array.isArray(marks)
      ? marks.filter((mark): mark is number => typeof mark === 'number').sort((a, b) => b - a)
      : DEFAULT_SETTINGS.expiryReminderDays,
    leakedKeyAction: item.leaked_key_action === 'notify' ? 'notify' : DEFAULT_LEAKED_KEY_ACTION,
  };
}

/**
 * The organization item's attributes a settings change writes: only the named fields (no maximum
 * is the attribute's absence), so a concurrent change of another field is never overwritten.
 */
export function settingsAttributes(changes: SettingsChanges): ItemChange {
  const change: ItemChange = { set: {}, remove: [] };
  if (changes.maxKeyLifetimeDays === null) change.remove.push('max_key_lifetime_days');
  else if (changes.maxKeyLifetimeDays !== undefined) change.set.max_key_lifetime_days = changes.maxKeyLifetimeDays;
  if (changes.expiryReminderDays !== undefined) change.set.expiry_reminder_days = [...changes.expiryReminderDays];
  // The leak action's default is the attribute's absence, so organizations from before the setting need no migration.
  if (changes.leakedKeyAction === 'notify') change.set.leaked_key_action = 'notify';
  else if (changes.leakedKeyAction !== undefined) change.remove.push('leaked_key_action');
  return change;
}

/**
 * The attributes a scheduled rotation sets on the old key: its expiry (and job) on the key item; its
 * expiry on the hot item, with a TTL a day later in case the retirement job never removes it.
 */
export function pendingExpiryAttributes(
  expiresAt: string,
  retirementJobId: string | null,
  extras: Partial<Pick<Expiry, 'expirySource' | 'reminderMarks'>> = {},
): { apiKey: Item; hotKey: Item } {
  return {
    apiKey: { expires_at: expiresAt, retirement_job_id: retirementJobId ?? undefined, ...expiryExtras(extras) },
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
    api_key_id: event.apiKeyId ?? undefined,
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
    apiKeyId: typeof item.api_key_id === 'string' ? item.api_key_id : null,
    details: (item.details ?? {}) as Record<string, unknown>,
  };
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
