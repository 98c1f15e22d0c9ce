import type { StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import { LastAdmin, OrganizationAlreadyExists, OrganizationNotFound } from '../../domain/errors';
import type { SettingsChanges, VersionedSettings } from '../../domain/expiry';
import { type Member, type Membership, type Organization, StaleState, type UsageIdentifier } from '../../domain/ports';
import { retryOnConflict } from '../../domain/retry-on-conflict';
import {
  hotKeyKey,
  MEMBERSHIP_PREFIX,
  memberKey,
  membershipKey,
  organizationKey,
  organizationPartition,
  SORT_KEY_PREFIX,
  userPartition,
} from '../../table/layout';
import {
  memberItem,
  membershipItem,
  organizationItem,
  SETTINGS_VERSION_ATTRIBUTE,
  settingsAttributes,
  toMember,
  toMembership,
  toOrganization,
  toSettings,
} from './items';
import type { StoreTable } from './store-table';
import { ABSENT, type Condition, EXISTS, failedAt } from './transactions';

/**
 * The store's organizations: the organization item with its settings, its members, and each
 * member's membership item under the user (both sides written in one transaction).
 */

export async function getOrganization(table: StoreTable, organizationId: string): Promise<Organization | undefined> {
  const item = await table.get(organizationKey(organizationId));
  return item && toOrganization(item);
}

export async function getMember(table: StoreTable, organizationId: string, email: string): Promise<Member | undefined> {
  const item = await table.get(memberKey(organizationId, email));
  return item && toMember(item);
}

export async function listMembers(table: StoreTable, organizationId: string): Promise<Member[]> {
  const items = await table.queryAll({ partition: organizationPartition(organizationId), prefix: SORT_KEY_PREFIX.member });
  return items.map(toMember);
}

export async function listMemberships(table: StoreTable, email: string): Promise<Membership[]> {
  const items = await table.queryAll({ partition: userPartition(email), prefix: MEMBERSHIP_PREFIX });
  return items.map(toMembership);
}

export async function createOrganization(
  table: StoreTable,
  input: { organization: Organization; members: Member[]; firstKey: StoredApiKey; event: AuditEvent },
): Promise<void> {
  const { organization, members, firstKey, event } = input;
  const admins = members.filter((member) => member.role === 'admin').length;
  await table.transact(
    [
      table.items.put(organizationItem(organization, admins), ABSENT),
      ...members.flatMap((member) => [table.items.put(memberItem(member)), table.items.put(membershipItem(member, organization.name))]),
      ...table.putKey(firstKey),
      table.putEvent(event),
    ],
    (reasons) => {
      if (failedAt(reasons, 0)) throw new OrganizationAlreadyExists(`organization "${organization.id}" already exists`);
    },
  );
}

/**
 * Puts (`next`) or removes (undefined) a member, keeping `admin_count` on the organization and
 * the membership item in the same transaction, conditioned on the member being as it was read:
 * the last admin can be neither demoted nor removed, even by two concurrent changes. Returns
 * whether a member existed.
 */
export async function changeMember(table: StoreTable, organizationId: string, email: string, next: Member | undefined): Promise<boolean> {
  return retryOnConflict(async () => {
    const current = await getMember(table, organizationId, email);
    if (!current && !next) return false;
    // The membership item carries the organization's name, which never changes once created.
    const organizationName = next && (await getOrganization(table, organizationId))?.name;
    if (next && organizationName === undefined) throw new OrganizationNotFound();
    const delta = (next?.role === 'admin' ? 1 : 0) - (current?.role === 'admin' ? 1 : 0);
    const unchanged: Condition = current
      ? { expression: '#role = :role', names: { '#role': 'role' }, values: { ':role': current.role } }
      : ABSENT;
    const change = next ? table.items.put(memberItem(next), unchanged) : table.items.delete(memberKey(organizationId, email), unchanged);
    const organization =
      delta === 0
        ? table.items.check(organizationKey(organizationId), EXISTS)
        : table.items.update(organizationKey(organizationId), {
            expression: 'ADD admin_count :delta',
            condition: delta < 0 ? 'admin_count > :one' : EXISTS.expression,
            values: delta < 0 ? { ':delta': delta, ':one': 1 } : { ':delta': delta },
          });
    const membership = next
      ? table.items.put(membershipItem(next, organizationName!))
      : table.items.delete(membershipKey(organizationId, email));
    await table.transact([organization, change, membership], async (reasons) => {
      if (failedAt(reasons, 1)) throw new StaleState();
      if (failedAt(reasons, 0)) {
        throw delta < 0 && (await getOrganization(table, organizationId))
          ? new LastAdmin(`${email} is the last admin of ${organizationId}`)
          : new OrganizationNotFound();
      }
    });
    return current !== undefined;
  });
}

export async function getPlan(table: StoreTable, organizationId: string): Promise<string | null | undefined> {
  const item = await table.get(organizationKey(organizationId));
  if (!item) return undefined;
  return typeof item.plan === 'string' ? item.plan : null;
}

/** The plan and its event, conditioned on the plan being `expected` as the caller read it (null: none stored). */
export async function putPlan(
  table: StoreTable,
  organizationId: string,
  plan: string,
  event: AuditEvent,
  expected: string | null,
): Promise<void> {
  const names = { '#plan': 'plan' };
  const asRead: Condition =
    expected === null
      ? { expression: `${EXISTS.expression} AND attribute_not_exists(#plan)`, names }
      : { expression: '#plan = :expectedPlan', names, values: { ':expectedPlan': expected } };
  await table.transact(
    [table.items.setFields(organizationKey(organizationId), { plan }, asRead, []), table.putEvent(event)],
    async (reasons) => {
      if (failedAt(reasons, 0)) throw (await getOrganization(table, organizationId)) ? new StaleState() : new OrganizationNotFound();
    },
  );
}

export async function getUsageIdentifier(table: StoreTable, organizationId: string): Promise<UsageIdentifier | undefined> {
  const item = await table.get(organizationKey(organizationId));
  const { usage_identifier: value, usage_identifier_id: id } = item ?? {};
  return typeof value === 'string' && typeof id === 'string' && value !== '' && id !== '' ? { id, value } : undefined;
}

/**
 * The identifier on the organization item, then on the hot item of each of its keys (found through
 * the key items' `token_hash`); a hot item gone meanwhile (a deleted key) is skipped. A key minted
 * between the two steps read the identifier already, or gets it here.
 */
export async function setUsageIdentifier(table: StoreTable, organizationId: string, identifier: UsageIdentifier): Promise<void> {
  await table.transact(
    [
      table.items.setFields(
        organizationKey(organizationId),
        { usage_identifier: identifier.value, usage_identifier_id: identifier.id },
        EXISTS,
      ),
    ],
    (reasons) => {
      if (failedAt(reasons, 0)) throw new OrganizationNotFound();
    },
  );
  const keys = await table.queryAll({ partition: organizationPartition(organizationId), prefix: SORT_KEY_PREFIX.apiKey });
  for (const key of keys) {
    if (typeof key.token_hash !== 'string') continue;
    const gone = new Error('hot item gone');
    try {
      await table.transact(
        [table.items.setFields(hotKeyKey(key.token_hash), { usage_identifier: identifier.value }, EXISTS)],
        (reasons) => {
          if (failedAt(reasons, 0)) throw gone;
        },
      );
    } catch (error) {
      if (error !== gone) throw error;
    }
  }
}

export async function getSettings(table: StoreTable, organizationId: string): Promise<VersionedSettings | undefined> {
  const item = await table.get(organizationKey(organizationId));
  return item && toSettings(item);
}

/**
 * Writes the named settings and the next version, with the event, conditioned on the settings'
 * version as the caller read it (the organization item's other attributes may change meanwhile).
 */
export async function updateSettings(
  table: StoreTable,
  input: { organizationId: string; version: number; changes: SettingsChanges; event: AuditEvent },
): Promise<number> {
  const { organizationId, version, changes, event } = input;
  const change = settingsAttributes(changes);
  const next = version + 1;
  const names = { '#settingsVersion': SETTINGS_VERSION_ATTRIBUTE };
  const atSettingsVersion: Condition =
    version === 0
      ? { expression: `${EXISTS.expression} AND attribute_not_exists(#settingsVersion)`, names }
      : { expression: '#settingsVersion = :settingsVersion', names, values: { ':settingsVersion': version } };
  await table.transact(
    [
      table.items.setFields(
        organizationKey(organizationId),
        { ...change.set, [SETTINGS_VERSION_ATTRIBUTE]: next },
        atSettingsVersion,
        change.remove,
      ),
      table.putEvent(event),
    ],
    async (reasons) => {
      if (failedAt(reasons, 0)) {
        throw (await getOrganization(table, organizationId)) ? new StaleState() : new OrganizationNotFound();
      }
    },
  );
  return next;
}
