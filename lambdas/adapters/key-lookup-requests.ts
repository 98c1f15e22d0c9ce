import type { HotKey } from '../domain/api-key';
import type { Permissions } from '../domain/permissions';

/**
 * The two requests of the authorizer's hot path (DESIGN.md "Authorizer hot path") in document
 * form (plain values, not AttributeValues), and the mapping of the item the first one reads.
 * Both adapters that serve them build them here — the SDK's document client
 * (`DynamoDbKeyStore`) and the thin HTTP adapter (`dynamodb-http/`) — so they cannot drift apart.
 * Free of any AWS SDK import: the authorizer's bundle takes only this from the table layout.
 */

/** Keys of the table layout (the full layout is described in `dynamodb-key-store.ts`). */
export const orgPk = (organizationId: string) => `ORG#${organizationId}`;
export const keySk = (id: string) => `KEY#${id}`;
export const hashPk = (tokenHash: string) => `KEYHASH#${tokenHash}`;
export const HASH_SK = 'KEYHASH';

/** The strongly consistent GetItem of a key's hot item. */
export function hotItemRead(tableName: string, tokenHash: string) {
  return { TableName: tableName, Key: { pk: hashPk(tokenHash), sk: HASH_SK }, ConsistentRead: true };
}

/** The hot item as the authorizer sees it. Every attribute is taken as stored, and malformed data fails closed later. */
export function toHotKey(tokenHash: string, item: Record<string, unknown>): HotKey {
  return {
    tokenHash,
    organizationId: String(item.organization_id),
    apiKeyId: String(item.api_key_id),
    permissions: item.permissions as Permissions,
    // Not read as "no expiry" when malformed: a non-string expires_at is passed on as text, which isExpired refuses.
    expiresAt: item.expires_at === undefined || item.expires_at === null ? null : String(item.expires_at),
    lastUsedAt: typeof item.last_used_at === 'string' ? item.last_used_at : null,
  };
}

/**
 * The last-used write: `last_used_at` on the hot item unless it was set at or after `staleBefore`
 * (so at most one write per key per window, however many instances race), and on the key item,
 * both only while they exist (a key deleted meanwhile is not recreated). Changes no `version`.
 */
export function usageWrite(tableName: string, key: HotKey, at: Date, staleBefore: Date) {
  return {
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: { pk: hashPk(key.tokenHash), sk: HASH_SK },
          UpdateExpression: 'SET last_used_at = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :stale)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':stale': staleBefore.toISOString() },
        },
      },
      {
        Update: {
          TableName: tableName,
          Key: { pk: orgPk(key.organizationId), sk: keySk(key.apiKeyId) },
          UpdateExpression: 'SET last_used_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at.toISOString() },
        },
      },
    ],
  };
}
