import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HotKey, StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import type { SettingsChanges, VersionedSettings } from '../../domain/expiry';
import type { LeakRecord } from '../../domain/leak';
import type { KeyStore, Member, Membership, Organization, Page, PageRequest, UsageIdentifier } from '../../domain/ports';
import type { UsageBucket, UsageQuery } from '../../domain/usage';
import { apiKeyKey, organizationKey, organizationPartition, SORT_KEY_PREFIX } from '../../table/layout';
import { DynamoDbHotKeyStore, laterOf } from './hot-keys';
import { auditEventItem, keyCountOf, toAuditEvent, toStoredKey } from './items';
import { createKey, removeKey, rotateKey, updateKey } from './key-changes';
import { recordReminder, recordStillInUse } from './key-marks';
import { findLeak, recordLeak } from './leaks';
import {
  changeMember,
  createOrganization,
  getMember,
  getOrganization,
  getPlan,
  getSettings,
  getUsageIdentifier,
  listMembers,
  listMemberships,
  putPlan,
  setUsageIdentifier,
  updateSettings,
} from './organizations';
import { countQuota, quotaUsed } from './quota-counters';
import { StoreTable } from './store-table';
import { ABSENT } from './transactions';
import { DynamoDbUsageCounters } from './usage-counters';

/**
 * The KeyStore port on the single DynamoDB table (table/layout.ts says what each item holds). Each
 * use case is one read or one transaction whose conditions keep the invariants, kept by job:
 * organizations.ts (organizations, members, settings), key-changes.ts (a key's writes and the
 * organization's key counters), key-marks.ts (the once-only lifecycle marks); the authorizer's two
 * operations are hot-keys.ts's. The reads of keys and the audit log are here.
 */
export class DynamoDbKeyStore implements KeyStore {
  private readonly table: StoreTable;
  private readonly hotKeys: DynamoDbHotKeyStore;
  private readonly usage: DynamoDbUsageCounters;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.table = new StoreTable(db, tableName);
    this.hotKeys = new DynamoDbHotKeyStore(db, tableName);
    this.usage = new DynamoDbUsageCounters(db, tableName);
  }

  getOrganization(organizationId: string): Promise<Organization | undefined> {
    return getOrganization(this.table, organizationId);
  }

  getMember(organizationId: string, email: string): Promise<Member | undefined> {
    return getMember(this.table, organizationId, email);
  }

  listMembers(organizationId: string): Promise<Member[]> {
    return listMembers(this.table, organizationId);
  }

  listMemberships(email: string): Promise<Membership[]> {
    return listMemberships(this.table, email);
  }

  createOrganization(input: { organization: Organization; members: Member[]; firstKey: StoredApiKey; event: AuditEvent }): Promise<void> {
    return createOrganization(this.table, input);
  }

  async putMember(member: Member): Promise<void> {
    await changeMember(this.table, member.organizationId, member.email, member);
  }

  removeMember(organizationId: string, email: string): Promise<boolean> {
    return changeMember(this.table, organizationId, email, undefined);
  }

  async listKeys(organizationId: string, page: PageRequest): Promise<Page<StoredApiKey>> {
    const range = { partition: organizationPartition(organizationId), prefix: SORT_KEY_PREFIX.apiKey };
    const found = await this.table.queryPage(range, { ...page, forward: true }, toStoredKey);
    return { ...found, items: await this.withLastUse(found.items) };
  }

  async getKey(organizationId: string, apiKeyId: string): Promise<StoredApiKey | undefined> {
    const item = await this.table.get(apiKeyKey(organizationId, apiKeyId));
    return item && (await this.withLastUse([toStoredKey(item)]))[0];
  }

  /**
   * Keys with `last_used_at` from their hot items, where the authorizer writes it (one write unit
   * a write, hot-key-requests.ts); the later of the two where the key item holds an older one
   * (written before the authorizer wrote the hot item only).
   */
  private async withLastUse(keys: StoredApiKey[]): Promise<StoredApiKey[]> {
    if (keys.length === 0) return keys;
    const lastUses = await this.hotKeys.lastUses(keys.map((key) => key.tokenHash));
    return keys.map((key) => ({ ...key, lastUsedAt: laterOf(key.lastUsedAt, lastUses.get(key.tokenHash)) }));
  }

  findByHash(tokenHash: string): Promise<HotKey | undefined> {
    return this.hotKeys.findByHash(tokenHash);
  }

  recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean> {
    return this.hotKeys.recordUsage(key, at, staleBefore);
  }

  async keyCount(organizationId: string): Promise<number | undefined> {
    const item = await this.table.get(organizationKey(organizationId));
    return item && keyCountOf(item);
  }

  createKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    return createKey(this.table, key, event);
  }

  updateKey(input: Parameters<KeyStore['updateKey']>[0]): Promise<StoredApiKey> {
    return updateKey(this.table, input);
  }

  rotateKey(input: Parameters<KeyStore['rotateKey']>[0]): Promise<void> {
    return rotateKey(this.table, input);
  }

  deleteKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    return removeKey(this.table, key, event, { keepOneNonExpiring: true });
  }

  async retireKey(key: StoredApiKey, event: AuditEvent, leak?: LeakRecord): Promise<void> {
    if (key.expiresAt === null) throw new Error(`key ${key.id} has no pending expiry to retire it at`);
    // A key the policy made expire still counts as non-expiring, and goes even if it is the last:
    // it has already stopped working, and the reminders warned before.
    await removeKey(this.table, key, event, { keepOneNonExpiring: false, leak });
  }

  findLeak(tokenHash: string): Promise<LeakRecord | undefined> {
    return findLeak(this.table, tokenHash);
  }

  recordLeak(leak: LeakRecord, event: AuditEvent): Promise<void> {
    return recordLeak(this.table, leak, event);
  }

  recordStillInUse(input: { organizationId: string; apiKeyId: string; expiresAt: string; event: AuditEvent }): Promise<boolean> {
    return recordStillInUse(this.table, input);
  }

  recordReminder(input: { key: StoredApiKey; expiresAt: string; markDays: number; event: AuditEvent }): Promise<boolean> {
    return recordReminder(this.table, input);
  }

  getSettings(organizationId: string): Promise<VersionedSettings | undefined> {
    return getSettings(this.table, organizationId);
  }

  updateSettings(input: { organizationId: string; version: number; changes: SettingsChanges; event: AuditEvent }): Promise<number> {
    return updateSettings(this.table, input);
  }

  getPlan(organizationId: string): Promise<string | null | undefined> {
    return getPlan(this.table, organizationId);
  }

  putPlan(organizationId: string, plan: string, event: AuditEvent, expected: string | null): Promise<void> {
    return putPlan(this.table, organizationId, plan, event, expected);
  }

  getUsageIdentifier(organizationId: string): Promise<UsageIdentifier | undefined> {
    return getUsageIdentifier(this.table, organizationId);
  }

  setUsageIdentifier(organizationId: string, identifier: UsageIdentifier): Promise<void> {
    return setUsageIdentifier(this.table, organizationId, identifier);
  }

  quotaUsed(organizationId: string, windowStart: Date): Promise<number> {
    return quotaUsed(this.table, organizationId, windowStart);
  }

  countQuota(organizationId: string, windowStart: Date, limit: number): Promise<boolean> {
    return countQuota(this.table, organizationId, windowStart, limit);
  }

  async appendAuditEvent(event: AuditEvent): Promise<void> {
    const { db, tableName } = this.table;
    await db.send(new PutCommand({ TableName: tableName, Item: auditEventItem(event), ConditionExpression: ABSENT.expression }));
  }

  listAuditEvents(organizationId: string, page: PageRequest): Promise<Page<AuditEvent>> {
    const range = { partition: organizationPartition(organizationId), prefix: SORT_KEY_PREFIX.auditEvent };
    return this.table.queryPage(range, { ...page, forward: false }, toAuditEvent);
  }

  listUsage(organizationId: string, query: UsageQuery): Promise<UsageBucket[]> {
    return this.usage.list(organizationId, query);
  }
}
