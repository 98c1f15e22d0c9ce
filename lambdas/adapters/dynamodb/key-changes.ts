import { countsAsNonExpiring, type KeyChanges, MAX_KEYS_PER_ORGANIZATION, type StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import { ApiKeyLimitReached, LastNonExpiringApiKey, OrganizationNotFound } from '../../domain/errors';
import { LeakAlreadyRecorded, type LeakRecord } from '../../domain/leak';
import { type KeyStore, StaleState } from '../../domain/ports';
import { apiKeyKey, hotKeyKey, type ItemKey, organizationKey, VERSION_ATTRIBUTE } from '../../table/layout';
import { keyChangeAttributes, pendingExpiryAttributes, REMINDERS_SENT_ATTRIBUTE } from './items';
import { leakItem } from './leaks';
import { getOrganization } from './organizations';
import type { StoreTable } from './store-table';
import { atVersion, type Condition, EXISTS, failedAt, type TransactItem } from './transactions';

/**
 * The store's key changes: create, update, rotate and remove, each one transaction over the key
 * item, its hot item, the organization's key counters (the key limit, the last non-expiring key)
 * and the audit event.
 */

/**
 * The key item is exactly as the caller read it (`version`) and may still be changed until
 * `landsBy` (API.md §3, §8): no `expires_at`, or one after it that is the key's own or the policy's,
 * never a pending rotation's (a key whose `expires_at` has no source is a rotation's, from before
 * sources were stored). ISO instants as toISOString writes them compare as strings.
 */
function changeableUntil(version: number, landsBy: string): Condition {
  const read = atVersion(version);
  return {
    expression: `${read.expression} AND (attribute_not_exists(#expiresAt) OR (#expiresAt > :landsBy AND #expirySource IN (:request, :policy)))`,
    names: { ...read.names, '#expiresAt': 'expires_at', '#expirySource': 'expiry_source' },
    values: { ...read.values, ':landsBy': landsBy, ':request': 'request', ':policy': 'policy' },
  };
}

const keyItemKey = (key: Pick<StoredApiKey, 'organizationId' | 'id'>): ItemKey => apiKeyKey(key.organizationId, key.id);

export async function createKey(table: StoreTable, key: StoredApiKey, event: AuditEvent): Promise<void> {
  await table.transact(
    [
      countKeys(table, key.organizationId, { keys: 1, active: Number(countsAsNonExpiring(key)) }),
      ...table.putKey(key),
      table.putEvent(event),
    ],
    async (reasons) => {
      if (failedAt(reasons, 0)) {
        throw (await getOrganization(table, key.organizationId)) ? new ApiKeyLimitReached() : new OrganizationNotFound();
      }
    },
  );
}

export async function updateKey(
  table: StoreTable,
  input: { key: StoredApiKey; changes: KeyChanges; event: AuditEvent; landsBy: string },
): Promise<StoredApiKey> {
  const { key, changes, event, landsBy } = input;
  const version = key.version + 1;
  // Only the named fields: a concurrent change of another field is never overwritten.
  const attributes = keyChangeAttributes(changes);
  const next: StoredApiKey = {
    ...key,
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.permissions !== undefined ? { permissions: changes.permissions } : {}),
    ...(changes.allowedIps !== undefined ? { allowedIps: changes.allowedIps } : {}),
    ...changes.expiry,
    version,
  };
  const activeDelta = Number(countsAsNonExpiring(next)) - Number(countsAsNonExpiring(key));
  await table.transact(
    [
      table.items.setFields(
        keyItemKey(key),
        { ...attributes.apiKey.set, [VERSION_ATTRIBUTE]: version },
        changeableUntil(key.version, landsBy),
        attributes.apiKey.remove,
      ),
      table.items.setFields(
        hotKeyKey(key.tokenHash),
        { ...attributes.hotKey.set, [VERSION_ATTRIBUTE]: version },
        EXISTS,
        attributes.hotKey.remove,
      ),
      table.putEvent(event),
      ...(activeDelta === 0 ? [] : [countKeys(table, key.organizationId, { keys: 0, active: activeDelta })]),
    ],
    (reasons) => {
      if (failedAt(reasons, 0) || failedAt(reasons, 1)) throw new StaleState();
      if (failedAt(reasons, 3)) throw new LastNonExpiringApiKey();
    },
  );
  return next;
}

export async function rotateKey(table: StoreTable, input: Parameters<KeyStore['rotateKey']>[0]): Promise<void> {
  const { old, next, expiresAt, retirementJobId, event, landsBy } = input;
  const version = old.version + 1;
  // The old key stops counting as non-expiring (removed, or pending its rotation); the new one counts if it does.
  const activeDelta = Number(countsAsNonExpiring(next)) - Number(countsAsNonExpiring(old));
  let retireOld: TransactItem[];
  if (expiresAt === null) {
    retireOld = [
      table.items.delete(keyItemKey(old), changeableUntil(old.version, landsBy)),
      table.items.delete(hotKeyKey(old.tokenHash), EXISTS),
      ...(activeDelta === 0 ? [] : [countKeys(table, old.organizationId, { keys: 0, active: activeDelta })]),
    ];
  } else {
    const pending = pendingExpiryAttributes(expiresAt, retirementJobId, {
      expirySource: 'rotation',
      reminderMarks: input.reminderMarks ?? [],
    });
    const forget = [REMINDERS_SENT_ATTRIBUTE, ...(pending.apiKey.reminder_marks === undefined ? ['reminder_marks'] : [])];
    retireOld = [
      table.items.setFields(
        keyItemKey(old),
        { ...pending.apiKey, [VERSION_ATTRIBUTE]: version },
        changeableUntil(old.version, landsBy),
        forget,
      ),
      table.items.setFields(hotKeyKey(old.tokenHash), { ...pending.hotKey, [VERSION_ATTRIBUTE]: version }, EXISTS),
      // The old key stays until retired, so the organization briefly holds one more key.
      countKeys(table, old.organizationId, { keys: 1, active: activeDelta }),
    ];
  }
  const leak = input.leak ? [leakItem(table, input.leak)] : [];
  await table.transact([...retireOld, ...table.putKey(next), table.putEvent(event), ...leak], (reasons) => {
    if (input.leak && failedAt(reasons, retireOld.length + 3)) throw new LeakAlreadyRecorded();
    if (failedAt(reasons, 0) || failedAt(reasons, 1)) throw new StaleState();
    if (expiresAt !== null && failedAt(reasons, 2)) throw new ApiKeyLimitReached();
  });
}

/**
 * Removes both items of a key that is exactly as it was read, with its event. Deleting a
 * non-expiring key is conditioned on another one remaining; an expiring key (pending rotation,
 * or its own expiry) leaves the count of non-expiring keys unchanged.
 */
export async function removeKey(
  table: StoreTable,
  key: StoredApiKey,
  event: AuditEvent,
  { keepOneNonExpiring, leak }: { keepOneNonExpiring: boolean; leak?: LeakRecord },
): Promise<void> {
  const nonExpiring = countsAsNonExpiring(key);
  await table.transact(
    [
      table.items.delete(keyItemKey(key), atVersion(key.version)),
      table.items.delete(hotKeyKey(key.tokenHash)),
      table.items.update(
        organizationKey(key.organizationId),
        nonExpiring && keepOneNonExpiring
          ? {
              expression: 'ADD key_count :minus, active_key_count :minus',
              condition: 'active_key_count > :one',
              values: { ':minus': -1, ':one': 1 },
            }
          : {
              expression: nonExpiring ? 'ADD key_count :minus, active_key_count :minus' : 'ADD key_count :minus',
              values: { ':minus': -1 },
            },
      ),
      table.putEvent(event),
      ...(leak ? [leakItem(table, leak)] : []),
    ],
    (reasons) => {
      if (leak && failedAt(reasons, 4)) throw new LeakAlreadyRecorded();
      if (failedAt(reasons, 0)) throw new StaleState();
      if (failedAt(reasons, 2)) throw new LastNonExpiringApiKey();
    },
  );
}

/**
 * Moves the organization's counters: `keys` more keys (within the limit, API.md §3 Limits), and
 * `active` more non-expiring ones (taking away the last non-expiring key is refused).
 */
function countKeys(table: StoreTable, organizationId: string, { keys, active }: { keys: number; active: number }): TransactItem {
  if (keys > 0) {
    return table.items.update(organizationKey(organizationId), {
      expression: active === 0 ? 'ADD key_count :keys' : 'ADD key_count :keys, active_key_count :active',
      condition: `${EXISTS.expression} AND key_count < :max`,
      values: { ':keys': keys, ':max': MAX_KEYS_PER_ORGANIZATION, ...(active === 0 ? {} : { ':active': active }) },
    });
  }
  return table.items.update(organizationKey(organizationId), {
    expression: 'ADD active_key_count :active',
    condition: active < 0 ? 'active_key_count > :one' : EXISTS.expression,
    values: active < 0 ? { ':active': active, ':one': 1 } : { ':active': active },
  });
}
