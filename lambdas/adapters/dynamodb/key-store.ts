import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { countsAsNonExpiring, type HotKey, type KeyChanges, MAX_KEYS_PER_ORGANIZATION, type StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import { ApiKeyLimitReached, LastAdmin, LastNonExpiringApiKey, OrganizationAlreadyExists, OrganizationNotFound } from '../../domain/errors';
import type { OrganizationSettings } from '../../domain/expiry';
import {
  type KeyStore,
  type Member,
  type Membership,
  type Organization,
  type Page,
  type PageRequest,
  StaleState,
} from '../../domain/ports';
import { retryOnConflict } from '../../domain/retry-on-conflict';
import { DynamoDbHotKeyStore } from './hot-keys';
import {
  apiKeyItem,
  auditEventItem,
  hotKeyItem,
  type Item,
  keyChangeAttributes,
  keyCountOf,
  memberItem,
  membershipItem,
  organizationItem,
  pendingExpiryAttributes,
  REMINDERS_SENT_ATTRIBUTE,
  settingsAttributes,
  toAuditEvent,
  toMember,
  toMembership,
  toOrganization,
  toSettings,
  toStoredKey,
} from './items';
import { queryAll, queryPage } from './pages';
import {
  apiKeyKey,
  hotKeyKey,
  type ItemKey,
  MEMBERSHIP_PREFIX,
  memberKey,
  membershipKey,
  organizationKey,
  organizationPartition,
  SORT_KEY_PREFIX,
  STILL_IN_USE_WARNED_FOR_ATTRIBUTE,
  userPartition,
  VERSION_ATTRIBUTE,
} from './table-layout';
import { ABSENT, atVersion, type Condition, EXISTS, failedAt, type TransactItem, TransactItems, transact } from './transactions';

/**
 * The KeyStore port on the single DynamoDB table: the use cases of the store, each one read or one
 * transaction whose conditions keep the invariants (table-layout.ts says what each item holds).
 * The authorizer's two operations are hot-keys.ts's.
 */
export class DynamoDbKeyStore implements KeyStore {
  private readonly items: TransactItems;
  private readonly hotKeys: DynamoDbHotKeyStore;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.items = new TransactItems(tableName);
    this.hotKeys = new DynamoDbHotKeyStore(db, tableName);
  }

  async getOrganization(organizationId: string): Promise<Organization | undefined> {
    const item = await this.get(organizationKey(organizationId));
    return item && toOrganization(item);
  }

  async getMember(organizationId: string, email: string): Promise<Member | undefined> {
    const item = await this.get(memberKey(organizationId, email));
    return item && toMember(item);
  }

  async listMembers(organizationId: string): Promise<Member[]> {
    const items = await queryAll(this.db, this.tableName, {
      partition: organizationPartition(organizationId),
      prefix: SORT_KEY_PREFIX.member,
    });
    return items.map(toMember);
  }

  async listMemberships(email: string): Promise<Membership[]> {
    const items = await queryAll(this.db, this.tableName, { partition: userPartition(email), prefix: MEMBERSHIP_PREFIX });
    return items.map(toMembership);
  }

  async createOrganization(input: {
    organization: Organization;
    members: Member[];
    firstKey: StoredApiKey;
    event: AuditEvent;
  }): Promise<void> {
    const { organization, members, firstKey, event } = input;
    const admins = members.filter((member) => member.role === 'admin').length;
    await transact(
      this.db,
      [
        this.items.put(organizationItem(organization, admins), ABSENT),
        ...members.flatMap((member) => [this.items.put(memberItem(member)), this.items.put(membershipItem(member, organization.name))]),
        ...this.putKey(firstKey),
        this.putEvent(event),
      ],
      (reasons) => {
        if (failedAt(reasons, 0)) throw new OrganizationAlreadyExists(`organization "${organization.id}" already exists`);
      },
    );
  }

  async putMember(member: Member): Promise<void> {
    await this.changeMember(member.organizationId, member.email, member);
  }

  async removeMember(organizationId: string, email: string): Promise<boolean> {
    return this.changeMember(organizationId, email, undefined);
  }

  /**
   * Puts (`next`) or removes (undefined) a member, keeping `admin_count` on the organization and
   * the membership item in the same transaction, conditioned on the member being as it was read:
   * the last admin can be neither demoted nor removed, even by two concurrent changes. Returns
   * whether a member existed.
   */
  private async changeMember(organizationId: string, email: string, next: Member | undefined): Promise<boolean> {
    return retryOnConflict(async () => {
      const current = await this.getMember(organizationId, email);
      if (!current && !next) return false;
      // The membership item carries the organization's name, which never changes once created.
      const organizationName = next && (await this.getOrganization(organizationId))?.name;
      if (next && organizationName === undefined) throw new OrganizationNotFound();
      const delta = (next?.role === 'admin' ? 1 : 0) - (current?.role === 'admin' ? 1 : 0);
      const unchanged: Condition = current
        ? { expression: '#role = :role', names: { '#role': 'role' }, values: { ':role': current.role } }
        : ABSENT;
      const change = next ? this.items.put(memberItem(next), unchanged) : this.items.delete(memberKey(organizationId, email), unchanged);
      const organization =
        delta === 0
          ? this.items.check(organizationKey(organizationId), EXISTS)
          : this.items.update(organizationKey(organizationId), {
              expression: 'ADD admin_count :delta',
              condition: delta < 0 ? 'admin_count > :one' : EXISTS.expression,
              values: delta < 0 ? { ':delta': delta, ':one': 1 } : { ':delta': delta },
            });
      const membership = next
        ? this.items.put(membershipItem(next, organizationName!))
        : this.items.delete(membershipKey(organizationId, email));
      await transact(this.db, [organization, change, membership], async (reasons) => {
        if (failedAt(reasons, 1)) throw new StaleState();
        if (failedAt(reasons, 0)) {
          throw delta < 0 && (await this.getOrganization(organizationId))
            ? new LastAdmin(`${email} is the last admin of ${organizationId}`)
            : new OrganizationNotFound();
        }
      });
      return current !== undefined;
    });
  }

  async listKeys(organizationId: string, page: PageRequest): Promise<Page<StoredApiKey>> {
    const range = { partition: organizationPartition(organizationId), prefix: SORT_KEY_PREFIX.apiKey };
    return queryPage(this.db, this.tableName, range, { ...page, forward: true }, toStoredKey);
  }

  async getKey(organizationId: string, apiKeyId: string): Promise<StoredApiKey | undefined> {
    const item = await this.get(apiKeyKey(organizationId, apiKeyId));
    return item && toStoredKey(item);
  }

  findByHash(tokenHash: string): Promise<HotKey | undefined> {
    return this.hotKeys.findByHash(tokenHash);
  }

  recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean> {
    return this.hotKeys.recordUsage(key, at, staleBefore);
  }

  async keyCount(organizationId: string): Promise<number | undefined> {
    const item = await this.get(organizationKey(organizationId));
    return item && keyCountOf(item);
  }

  async createKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    await transact(
      this.db,
      [
        this.countKeys(key.organizationId, { keys: 1, active: Number(countsAsNonExpiring(key)) }),
        ...this.putKey(key),
        this.putEvent(event),
      ],
      async (reasons) => {
        if (failedAt(reasons, 0)) {
          throw (await this.getOrganization(key.organizationId)) ? new ApiKeyLimitReached() : new OrganizationNotFound();
        }
      },
    );
  }

  async updateKey(input: { key: StoredApiKey; changes: KeyChanges; event: AuditEvent }): Promise<StoredApiKey> {
    const { key, changes, event } = input;
    const version = key.version + 1;
    // Only the named fields: a concurrent change of another field is never overwritten.
    const attributes = keyChangeAttributes(changes);
    const next: StoredApiKey = {
      ...key,
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.permissions !== undefined ? { permissions: changes.permissions } : {}),
      ...changes.expiry,
      version,
    };
    const activeDelta = Number(countsAsNonExpiring(next)) - Number(countsAsNonExpiring(key));
    await transact(
      this.db,
      [
        this.items.setFields(
          keyItemKey(key),
          { ...attributes.apiKey.set, [VERSION_ATTRIBUTE]: version },
          atVersion(key.version),
          attributes.apiKey.remove,
        ),
        this.items.setFields(
          hotKeyKey(key.tokenHash),
          { ...attributes.hotKey.set, [VERSION_ATTRIBUTE]: version },
          EXISTS,
          attributes.hotKey.remove,
        ),
        this.putEvent(event),
        ...(activeDelta === 0 ? [] : [this.countKeys(key.organizationId, { keys: 0, active: activeDelta })]),
      ],
      (reasons) => {
        if (failedAt(reasons, 0) || failedAt(reasons, 1)) throw new StaleState();
        if (failedAt(reasons, 3)) throw new LastNonExpiringApiKey();
      },
    );
    return next;
  }

  async rotateKey(input: {
    old: StoredApiKey;
    next: StoredApiKey;
    expiresAt: string | null;
    retirementJobId: string | null;
    reminderMarks?: readonly number[];
    event: AuditEvent;
  }): Promise<void> {
    const { old, next, expiresAt, retirementJobId, event } = input;
    const version = old.version + 1;
    // The old key stops counting as non-expiring (removed, or pending its rotation); the new one counts if it does.
    const activeDelta = Number(countsAsNonExpiring(next)) - Number(countsAsNonExpiring(old));
    let retireOld: TransactItem[];
    if (expiresAt === null) {
      retireOld = [
        this.items.delete(keyItemKey(old), atVersion(old.version)),
        this.items.delete(hotKeyKey(old.tokenHash), EXISTS),
        ...(activeDelta === 0 ? [] : [this.countKeys(old.organizationId, { keys: 0, active: activeDelta })]),
      ];
    } else {
      const pending = pendingExpiryAttributes(expiresAt, retirementJobId, {
        expirySource: 'rotation',
        reminderMarks: input.reminderMarks ?? [],
      });
      const forget = [REMINDERS_SENT_ATTRIBUTE, ...(pending.apiKey.reminder_marks === undefined ? ['reminder_marks'] : [])];
      retireOld = [
        this.items.setFields(keyItemKey(old), { ...pending.apiKey, [VERSION_ATTRIBUTE]: version }, atVersion(old.version), forget),
        this.items.setFields(hotKeyKey(old.tokenHash), { ...pending.hotKey, [VERSION_ATTRIBUTE]: version }, EXISTS),
        // The old key stays until retired, so the organization briefly holds one more key.
        this.countKeys(old.organizationId, { keys: 1, active: activeDelta }),
      ];
    }
    await transact(this.db, [...retireOld, ...this.putKey(next), this.putEvent(event)], (reasons) => {
      if (failedAt(reasons, 0) || failedAt(reasons, 1)) throw new StaleState();
      if (expiresAt !== null && failedAt(reasons, 2)) throw new ApiKeyLimitReached();
    });
  }

  async deleteKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    await this.removeKey(key, event, { keepOneNonExpiring: true });
  }

  async retireKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    if (key.expiresAt === null) throw new Error(`key ${key.id} has no pending expiry to retire it at`);
    // A key the policy made expire still counts as non-expiring, and goes even if it is the last:
    // it has already stopped working, and the reminders warned before.
    await this.removeKey(key, event, { keepOneNonExpiring: false });
  }

  /**
   * Removes both items of a key that is exactly as it was read, with its event. Deleting a
   * non-expiring key is conditioned on another one remaining; an expiring key (pending rotation,
   * or its own expiry) leaves the count of non-expiring keys unchanged.
   */
  private async removeKey(key: StoredApiKey, event: AuditEvent, { keepOneNonExpiring }: { keepOneNonExpiring: boolean }): Promise<void> {
    const nonExpiring = countsAsNonExpiring(key);
    await transact(
      this.db,
      [
        this.items.delete(keyItemKey(key), atVersion(key.version)),
        this.items.delete(hotKeyKey(key.tokenHash)),
        this.items.update(
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
        this.putEvent(event),
      ],
      (reasons) => {
        if (failedAt(reasons, 0)) throw new StaleState();
        if (failedAt(reasons, 2)) throw new LastNonExpiringApiKey();
      },
    );
  }

  async recordStillInUse(input: { organizationId: string; apiKeyId: string; expiresAt: string; event: AuditEvent }): Promise<boolean> {
    const mark = this.items.update(apiKeyKey(input.organizationId, input.apiKeyId), {
      expression: `SET ${STILL_IN_USE_WARNED_FOR_ATTRIBUTE} = :expires_at`,
      condition: `${EXISTS.expression} AND expires_at = :expires_at AND (attribute_not_exists(${STILL_IN_USE_WARNED_FOR_ATTRIBUTE}) OR ${STILL_IN_USE_WARNED_FOR_ATTRIBUTE} <> :expires_at)`,
      values: { ':expires_at': input.expiresAt },
    });
    try {
      await transact(this.db, [mark, this.putEvent(input.event)], (reasons) => {
        if (failedAt(reasons, 0)) throw new NotMarked();
      });
      return true;
    } catch (error) {
      if (error instanceof NotMarked) return false;
      throw error;
    }
  }

  async recordReminder(input: { key: StoredApiKey; expiresAt: string; markDays: number; event: AuditEvent }): Promise<boolean> {
    const { key, expiresAt, markDays, event } = input;
    const mark = String(markDays);
    try {
      await transact(
        this.db,
        [
          this.items.update(keyItemKey(key), {
            expression: `ADD ${REMINDERS_SENT_ATTRIBUTE} :marks`,
            condition: `expires_at = :expires_at AND (attribute_not_exists(${REMINDERS_SENT_ATTRIBUTE}) OR NOT contains(${REMINDERS_SENT_ATTRIBUTE}, :mark))`,
            values: { ':marks': new Set([mark]), ':expires_at': expiresAt, ':mark': mark },
          }),
          this.putEvent(event),
        ],
        (reasons) => {
          if (failedAt(reasons, 0)) throw new ReminderNotDue();
        },
      );
      return true;
    } catch (error) {
      if (error instanceof ReminderNotDue) return false;
      throw error;
    }
  }

  async getSettings(organizationId: string): Promise<OrganizationSettings | undefined> {
    const item = await this.get(organizationKey(organizationId));
    return item && toSettings(item);
  }

  async putSettings(organizationId: string, settings: OrganizationSettings, event: AuditEvent): Promise<void> {
    const change = settingsAttributes(settings);
    await transact(
      this.db,
      [this.items.setFields(organizationKey(organizationId), change.set, EXISTS, change.remove), this.putEvent(event)],
      (reasons) => {
        if (failedAt(reasons, 0)) throw new OrganizationNotFound();
      },
    );
  }

  async appendAuditEvent(event: AuditEvent): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: auditEventItem(event), ConditionExpression: ABSENT.expression }));
  }

  async listAuditEvents(organizationId: string, page: PageRequest): Promise<Page<AuditEvent>> {
    const range = { partition: organizationPartition(organizationId), prefix: SORT_KEY_PREFIX.auditEvent };
    return queryPage(this.db, this.tableName, range, { ...page, forward: false }, toAuditEvent);
  }

  private async get(key: ItemKey): Promise<Item | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return result.Item;
  }

  /**
   * Moves the organization's counters: `keys` more keys (within the limit, API.md §3 Limits), and
   * `active` more non-expiring ones (taking away the last non-expiring key is refused).
   */
  private countKeys(organizationId: string, { keys, active }: { keys: number; active: number }): TransactItem {
    if (keys > 0) {
      return this.items.update(organizationKey(organizationId), {
        expression: active === 0 ? 'ADD key_count :keys' : 'ADD key_count :keys, active_key_count :active',
        condition: `${EXISTS.expression} AND key_count < :max`,
        values: { ':keys': keys, ':max': MAX_KEYS_PER_ORGANIZATION, ...(active === 0 ? {} : { ':active': active }) },
      });
    }
    return this.items.update(organizationKey(organizationId), {
      expression: 'ADD active_key_count :active',
      condition: active < 0 ? 'active_key_count > :one' : EXISTS.expression,
      values: active < 0 ? { ':active': active, ':one': 1 } : { ':active': active },
    });
  }

  /** A new key's two items: the key item and the authorizer's hot item. */
  private putKey(key: StoredApiKey): TransactItem[] {
    return [this.items.put(apiKeyItem(key), ABSENT), this.items.put(hotKeyItem(key), ABSENT)];
  }

  private putEvent(event: AuditEvent): TransactItem {
    return this.items.put(auditEventItem(event), ABSENT);
  }
}

/** The reminder's key no longer expires at the job's instant, or the mark was already reminded. */
class ReminderNotDue extends Error {}

const keyItemKey = (key: Pick<StoredApiKey, 'organizationId' | 'id'>): ItemKey => apiKeyKey(key.organizationId, key.id);

/** The "still in use" mark's condition failed: warned already, expiry moved, or key gone. */
class NotMarked extends Error {}
