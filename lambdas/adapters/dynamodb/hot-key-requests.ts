import type { HotKey } from '../../domain/api-key';
import { hotKeyKey, LAST_USED_AT_ATTRIBUTE, PARTITION_KEY } from '../../table/layout';

/**
 * The two requests of the authorizer's hot path (DESIGN.md "Authorizer hot path") in document form
 * (plain values, not AttributeValues). Both adapters that send them build them here — the SDK's
 * document client (hot-keys.ts, used by the management store and the tests) and the authorizer's
 * thin HTTP adapter (adapters/dynamodb-http/) — so they cannot drift apart; the item they read is
 * mapped by items.ts's `toHotKey`. Free of any AWS SDK import, for the authorizer's bundle. The
 * usage write names nothing beyond USAGE_WRITE_ATTRIBUTES: the authorizer's IAM grant allows only those.
 */

/** The strongly consistent GetItem of a key's hot item. */
export function hotKeyRead(tableName: string, tokenHash: string) {
  return { TableName: tableName, Key: hotKeyKey(tokenHash), ConsistentRead: true };
}

const SET_LAST_USED = `SET ${LAST_USED_AT_ATTRIBUTE} = :at`;
const EXISTS = `attribute_exists(${PARTITION_KEY})`;

/**
 * The last-used write: one conditional UpdateItem of `last_used_at` on the hot item, unless it was
 * set at or after `staleBefore` (so at most one write per key per window, however many instances
 * race), and only while the item exists (a key deleted meanwhile is not recreated). Changes no
 * `version`. One item of under 1 KB (a default key's is 708 B: its permissions are one string,
 * hot-permissions.ts): one write unit (a two-item transaction, the key item as well,
 * cost 4 to 6: docs/operating.md, "Cost per million authorized requests"). The hot item is where
 * `last_used_at` lives: the management reads take it from there (dynamodb/hot-keys.ts's `lastUses`).
 */
export function usageWrite(tableName: string, key: HotKey, at: Date, staleBefore: Date) {
  return {
    TableName: tableName,
    Key: hotKeyKey(key.tokenHash),
    UpdateExpression: SET_LAST_USED,
    ConditionExpression: `${EXISTS} AND (attribute_not_exists(${LAST_USED_AT_ATTRIBUTE}) OR ${LAST_USED_AT_ATTRIBUTE} < :stale)`,
    ExpressionAttributeValues: { ':at': at.toISOString(), ':stale': staleBefore.toISOString() },
  };
}

/** The `last_used_at` of hot items, read with the key attributes to match them (management reads only). */
export const LAST_USE_PROJECTION = `${PARTITION_KEY}, ${LAST_USED_AT_ATTRIBUTE}`;
