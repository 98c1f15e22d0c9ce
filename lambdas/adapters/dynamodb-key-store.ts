import { type CancellationReason, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type HotKey, type KeyChanges, MAX_KEYS_PER_ORGANIZATION, type StoredApiKey } from '../domain/api-key';
import type { AuditEvent } from '../domain/audit-event';
import {
  ApiKeyLimitReached,
  LastAdmin,
  LastNonExpiringApiKey,
  OrganizationAlreadyExists,
  OrganizationNotFound,
  ValidationFailed,
} from '../domain/errors';
import { normalizePermissions, type Permissions } from '../domain/permissions';
import { type KeyStore, type Member, type Organization, type Page, type PageRequest, type Role, StaleState } from '../domain/ports';
import { retryOnConflict } from '../domain/retry-on-conflict';
import { HASH_SK, hashPk, hotItemRead, keySk, orgPk, toHotKey, usageWrite } from './key-lookup-requests';

/** The table's TTL attribute (epoch seconds); set on a hot item once its key has an expiry. */
export const TTL_ATTRIBUTE = 'ttl';
/** How long after `expires_at` the TTL removes a hot item the retirement job never removed. */
const HOT_ITEM_TTL_GRACE_SECONDS = 24 * 60 * 60;
/**
 * The version of a key item written before keys had versions (no `version` attribute): the first
 * change to such a key is conditioned on the attribute's absence and writes version 1.
 */
const UNVERSIONED = 0;

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/** A condition expression with the names and values it uses. */
interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/**
 * Item layout (DESIGN.md): one table, `pk`/`sk` strings.
 *   ORG#<org>        / ORG               organization, with key_count, active_key_count, admin_count
 *   ORG#<org>        / MEMBER#<email>    member (role admin|member)
 *   ORG#<org>        / KEY#<id>          key as admins see it + token hash + encrypted token + version
 *   KEYHASH#<sha256> / KEYHASH           hot item: all the authorizer needs in one read (+ version)
 *   ORG#<org>        / EVENT#<ulid>      audit event, and the outbox of the admin emails
 * `active_key_count` counts keys without a pending expiry: the "never zero" invariant is a
 * condition on it, so two concurrent deletes cannot both pass. Every change to a key is conditioned
 * on the key item's `version` as the caller read it and writes version + 1 to both items; the hot
 * item's copy is never a condition (the key item is the one source of truth), it lets the
 * authorizer's item say which version of the key it reflects. `last_used_at` changes no version.
 */
const ORG_SK = 'ORG';
const memberSk = (email: string) => `MEMBER#${email}`;
const eventSk = (id: string) => `EVENT#${id}`;

export class DynamoDbKeyStore implements KeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getOrganization(organizationId: string): Promise<Organization | undefined> {
    const item = await this.get(orgPk(organizationId), ORG_SK);
    return item && { id: String(item.id), name: String(item.name), createdAt: String(item.created_at) };
  }

  async getMember(organizationId: string, email: string): Promise<Member | undefined> {
    const item = await this.get(orgPk(organizationId), memberSk(email));
    return item && toMember(item);
  }

  async listMembers(organizationId: string): Promise<Member[]> {
    const members: Member[] = [];
    let start: Item | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': orgPk(organizationId), ':prefix': 'MEMBER#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      members.push(...(page.Items ?? []).map(toMember));
      start = page.LastEvaluatedKey;
    } while (start);
    return members;
  }

  async createOrganization(input: {
    organization: Organization;
    members: Member[];
    firstKey: StoredApiKey;
    event: AuditEvent;
  }): Promise<void> {
    const { organization, members, firstKey, event } = input;
    await this.transact(
      [
        {
          Put: {
            TableName: this.tableName,
            Item: {
              pk: orgPk(organization.id),
              sk: ORG_SK,
              entity: 'organization',
              id: organization.id,
              name: organization.name,
              created_at: organization.createdAt,
              key_count: 1,
              active_key_count: 1,
              admin_count: members.filter((member) => member.role === 'admin').length,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...members.map((member) => ({ Put: { TableName: this.tableName, Item: memberItem(member) } })),
        ...this.putKeyItems(firstKey),
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
   * Puts (`next`) or removes (undefined) a member, keeping `admin_count` on the organization in
   * the same transaction, conditioned on the member being as it was read: the last admin can be
   * neither demoted nor removed, even by two concurrent changes. Returns whether a member existed.
   */
  private async changeMember(organizationId: string, email: string, next: Member | undefined): Promise<boolean> {
    return retryOnConflict(async () => {
      const current = await this.getMember(organizationId, email);
      if (!current && !next) return false;
      const delta = (next?.role === 'admin' ? 1 : 0) - (current?.role === 'admin' ? 1 : 0);
      const memberKey = { pk: orgPk(organizationId), sk: memberSk(email) };
      const unchanged = current
        ? {
            ConditionExpression: '#role = :role',
            ExpressionAttributeNames: { '#role': 'role' },
            ExpressionAttributeValues: { ':role': current.role },
          }
        : { ConditionExpression: 'attribute_not_exists(pk)' };
      const change: TransactItem = next
        ? { Put: { TableName: this.tableName, Item: memberItem(next), ...unchanged } }
        : { Delete: { TableName: this.tableName, Key: memberKey, ...unchanged } };
      const organization: TransactItem =
        delta === 0
          ? this.conditionOrganizationExists(organizationId)
          : {
              Update: {
                TableName: this.tableName,
                Key: { pk: orgPk(organizationId), sk: ORG_SK },
                UpdateExpression: 'ADD admin_count :delta',
                ConditionExpression: delta < 0 ? 'admin_count > :one' : 'attribute_exists(pk)',
                ExpressionAttributeValues: delta < 0 ? { ':delta': delta, ':one': 1 } : { ':delta': delta },
              },
            };
      await this.transact([organization, change], async (reasons) => {
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
    return this.queryPage(organizationId, 'KEY#', page, true, toStoredKey);
  }

  async getKey(organizationId: string, apiKeyId: string): Promise<StoredApiKey | undefined> {
    const item = await this.get(orgPk(organizationId), keySk(apiKeyId));
    return item && toStoredKey(item);
  }

  async findByHash(tokenHash: string): Promise<HotKey | undefined> {
    const { Item } = await this.db.send(new GetCommand(hotItemRead(this.tableName, tokenHash)));
    return Item && toHotKey(tokenHash, Item);
  }

  async recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean> {
    try {
      await this.db.send(new TransactWriteCommand(usageWrite(this.tableName, key, at, staleBefore)));
      return true;
    } catch (error) {
      // Another request recorded the use first, or the key vanished: nothing to write.
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  async keyCount(organizationId: string): Promise<number | undefined> {
    const item = await this.get(orgPk(organizationId), ORG_SK);
    return item && Number(item.key_count ?? 0);
  }

  async createKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    await this.transact(
      [
        {
          Update: {
            TableName: this.tableName,
            Key: { pk: orgPk(key.organizationId), sk: ORG_SK },
            UpdateExpression: 'ADD key_count :one, active_key_count :one',
            ConditionExpression: 'attribute_exists(pk) AND key_count < :max',
            ExpressionAttributeValues: { ':one': 1, ':max': MAX_KEYS_PER_ORGANIZATION },
          },
        },
        ...this.putKeyItems(key),
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
    const named = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const hotFields = changes.permissions === undefined ? {} : { permissions: changes.permissions };
    await this.transact(
      [
        this.setFields(keyItemKey(key), { ...named, version }, atVersion(key.version)),
        this.setFields(hotItemKey(key), { ...hotFields, version }, EXISTS),
        this.putEvent(event),
      ],
      (reasons) => {
        if (failedAt(reasons, 0) || failedAt(reasons, 1)) throw new StaleState();
      },
    );
    return { ...key, ...named, version };
  }

  async rotateKey(input: {
    old: StoredApiKey;
    next: StoredApiKey;
    expiresAt: string | null;
    retirementJobId: string | null;
    event: AuditEvent;
  }): Promise<void> {
    const { old, next, expiresAt, retirementJobId, event } = input;
    const version = old.version + 1;
    const retireOld: TransactItem[] =
      expiresAt === null
        ? [
            { Delete: { TableName: this.tableName, Key: keyItemKey(old), ...conditionParams(atVersion(old.version)) } },
            { Delete: { TableName: this.tableName, Key: hotItemKey(old), ...conditionParams(EXISTS) } },
          ]
        : [
            this.setFields(
              keyItemKey(old),
              { expires_at: expiresAt, retirement_job_id: retirementJobId ?? undefined, version },
              atVersion(old.version),
            ),
            this.setFields(
              hotItemKey(old),
              { expires_at: expiresAt, [TTL_ATTRIBUTE]: Math.ceil(Date.parse(expiresAt) / 1000) + HOT_ITEM_TTL_GRACE_SECONDS, version },
              EXISTS,
            ),
            // The old key stays until retired, so the organization briefly holds one more key.
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: orgPk(old.organizationId), sk: ORG_SK },
                UpdateExpression: 'ADD key_count :one',
                ConditionExpression: 'attribute_exists(pk) AND key_count < :max',
                ExpressionAttributeValues: { ':one': 1, ':max': MAX_KEYS_PER_ORGANIZATION },
              },
            },
          ];
    await this.transact([...retireOld, ...this.putKeyItems(next), this.putEvent(event)], (reasons) => {
      if (failedAt(reasons, 0) || failedAt(reasons, 1)) throw new StaleState();
      if (expiresAt !== null && failedAt(reasons, 2)) throw new ApiKeyLimitReached();
    });
  }

  async deleteKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    await this.removeKey(key, event);
  }

  async retireKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    if (key.expiresAt === null) throw new Error(`key ${key.id} has no pending expiry to retire it at`);
    await this.removeKey(key, event);
  }

  /**
   * Removes both items of a key that is exactly as it was read, with its event. Removing a
   * non-expiring key is conditioned on another one remaining; an expiring key (pending rotation,
   * or being retired) leaves the count of non-expiring keys unchanged.
   */
  private async removeKey(key: StoredApiKey, event: AuditEvent): Promise<void> {
    const nonExpiring = key.expiresAt === null;
    await this.transact(
      [
        { Delete: { TableName: this.tableName, Key: keyItemKey(key), ...conditionParams(atVersion(key.version)) } },
        { Delete: { TableName: this.tableName, Key: hotItemKey(key) } },
        {
          Update: {
            TableName: this.tableName,
            Key: { pk: orgPk(key.organizationId), sk: ORG_SK },
            ...(nonExpiring
              ? {
                  UpdateExpression: 'ADD key_count :minus, active_key_count :minus',
                  ConditionExpression: 'active_key_count > :one',
                  ExpressionAttributeValues: { ':minus': -1, ':one': 1 },
                }
              : {
                  UpdateExpression: 'ADD key_count :minus',
                  ExpressionAttributeValues: { ':minus': -1 },
                }),
          },
        },
        this.putEvent(event),
      ],
      (reasons) => {
        if (failedAt(reasons, 0)) throw new StaleState();
        if (failedAt(reasons, 2)) throw new LastNonExpiringApiKey();
      },
    );
  }

  async appendAuditEvent(event: AuditEvent): Promise<void> {
    const put = this.putEvent(event).Put!;
    await this.db.send(new PutCommand(put));
  }

  async listAuditEvents(organizationId: string, page: PageRequest): Promise<Page<AuditEvent>> {
    return this.queryPage(organizationId, 'EVENT#', page, false, toAuditEvent);
  }

  private async get(pk: string, sk: string): Promise<Item | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return result.Item;
  }

  /**
   * One page of a prefix under the organization. Reads one item beyond the page so that
   * `nextCursor` is null exactly when nothing follows. The cursor is the last item's sort key.
   */
  private async queryPage<T>(
    organizationId: string,
    prefix: string,
    page: PageRequest,
    forward: boolean,
    map: (item: Item) => T,
  ): Promise<Page<T>> {
    let start: Item | undefined;
    if (page.cursor !== undefined) {
      const sk = decodeCursor(page.cursor);
      if (!sk?.startsWith(prefix)) throw new ValidationFailed({ cursor: ['is not a cursor from this list'] });
      start = { pk: orgPk(organizationId), sk };
    }
    const items: Item[] = [];
    do {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': orgPk(organizationId), ':prefix': prefix },
          ScanIndexForward: forward,
          ConsistentRead: true,
          Limit: page.limit + 1 - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
    } while (start && items.length <= page.limit);
    const pageItems = items.slice(0, page.limit);
    const nextCursor = items.length > page.limit ? encodeCursor(String(pageItems[pageItems.length - 1]!.sk)) : null;
    return { items: pageItems.map(map), nextCursor };
  }

  private putKeyItems(key: StoredApiKey): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: orgPk(key.organizationId),
            sk: keySk(key.id),
            entity: 'api_key',
            id: key.id,
            organization_id: key.organizationId,
            name: key.name,
            masked_value: key.maskedValue,
            permissions: key.permissions,
            created_at: key.createdAt,
            expires_at: key.expiresAt ?? undefined,
            last_used_at: key.lastUsedAt ?? undefined,
            token_hash: key.tokenHash,
            encrypted_token: key.encryptedToken,
            version: key.version,
            retirement_job_id: key.retirementJobId ?? undefined,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: hashPk(key.tokenHash),
            sk: HASH_SK,
            entity: 'api_key_hash',
            organization_id: key.organizationId,
            api_key_id: key.id,
            permissions: key.permissions,
            version: key.version,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  /** An update that SETs exactly `fields` (undefined ones skipped) on one item, under `condition`. */
  private setFields(key: { pk: string; sk: string }, fields: Record<string, unknown>, condition: Condition): TransactItem {
    const names: Record<string, string> = { ...condition.names };
    const values: Record<string, unknown> = { ...condition.values };
    const assignments = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([field, value], index) => {
        names[`#set${index}`] = field;
        values[`:set${index}`] = value;
        return `#set${index} = :set${index}`;
      });
    return {
      Update: {
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      },
    };
  }

  private putEvent(event: AuditEvent): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          pk: orgPk(event.organizationId),
          sk: eventSk(event.id),
          entity: 'audit_event',
          id: event.id,
          organization_id: event.organizationId,
          type: event.type,
          occurred_at: event.occurredAt,
          actor: event.actor,
          api_key_id: event.apiKeyId,
          details: event.details,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  private conditionOrganizationExists(organizationId: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.tableName,
        Key: { pk: orgPk(organizationId), sk: ORG_SK },
        ConditionExpression: 'attribute_exists(pk)',
      },
    };
  }

  /**
   * Runs one transaction. A cancellation caused only by concurrent transactions on the same items
   * is retried (`retryOnConflict`) and, if it keeps happening, reported as StaleState; a failed
   * condition is handed to `onConditionFailed`, which throws the domain error it means (an
   * unexplained failure is rethrown as is).
   */
  private async transact(items: TransactItem[], onConditionFailed: (reasons: CancellationReason[]) => void | Promise<void>): Promise<void> {
    try {
      await retryOnConflict(() => this.db.send(new TransactWriteCommand({ TransactItems: items })), { isConflict: isTransactionConflict });
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      if (conditionFailed(error)) await onConditionFailed(error.CancellationReasons ?? []);
      else if (isTransactionConflict(error)) throw new StaleState('concurrent transactions kept conflicting');
      throw error;
    }
  }
}

function failedAt(reasons: CancellationReason[], index: number): boolean {
  return reasons[index]?.Code === 'ConditionalCheckFailed';
}

function conditionFailed(error: TransactionCanceledException): boolean {
  return (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** Cancelled only because other transactions held the same items: the same transaction may succeed now. */
function isTransactionConflict(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    !conditionFailed(error) &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')
  );
}

const keyItemKey = (key: Pick<StoredApiKey, 'organizationId' | 'id'>) => ({ pk: orgPk(key.organizationId), sk: keySk(key.id) });
const hotItemKey = (key: Pick<StoredApiKey, 'tokenHash'>) => ({ pk: hashPk(key.tokenHash), sk: HASH_SK });

const EXISTS: Condition = { expression: 'attribute_exists(pk)' };

/** The key item exists at exactly `version`, the one the caller read. */
function atVersion(version: number): Condition {
  return version === UNVERSIONED
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(#version)', names: { '#version': 'version' } }
    : { expression: '#version = :version', names: { '#version': 'version' }, values: { ':version': version } };
}

/** A condition as the parameters of a Delete or ConditionCheck. */
function conditionParams(condition: Condition) {
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}

function memberItem(member: Member): Item {
  return {
    pk: orgPk(member.organizationId),
    sk: memberSk(member.email),
    entity: 'member',
    organization_id: member.organizationId,
    email: member.email,
    role: member.role,
  };
}

function toMember(item: Item): Member {
  return { organizationId: String(item.organization_id), email: String(item.email), role: item.role as Role };
}

function toStoredKey(item: Item): StoredApiKey {
  return {
    id: String(item.id),
    organizationId: String(item.organization_id),
    name: optionalString(item.name),
    maskedValue: String(item.masked_value),
    // A DynamoDB map keeps no order; admins see resources sorted, as they were written.
    permissions: normalizePermissions(item.permissions as Permissions),
    createdAt: String(item.created_at),
    expiresAt: optionalString(item.expires_at),
    lastUsedAt: optionalString(item.last_used_at),
    tokenHash: String(item.token_hash),
    encryptedToken: String(item.encrypted_token),
    version: typeof item.version === 'number' ? item.version : UNVERSIONED,
    retirementJobId: optionalString(item.retirement_job_id),
  };
}

function toAuditEvent(item: Item): AuditEvent {
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

function encodeCursor(sk: string): string {
  return Buffer.from(sk, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
