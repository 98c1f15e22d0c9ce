import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MODES, type Permissions, RESOURCE_NAME_PATTERN } from '../../domain/permissions';
import { hotKeyKey } from '../../table/layout';
import { encodeHotPermissions } from './hot-permissions';

export interface HotItemRewrite {
  /** Hot items whose permissions map was rewritten as the compact string. */
  rewritten: number;
  /** Hot items whose map was left as stored: not a well-formed map, or changed since the scan. */
  skipped: number;
}

/**
 * Rewrites the `permissions` of hot items written before the compact encoding (a map of lists,
 * hot-permissions.ts) as the string, so that the authorizer's `last_used_at` write on a default key
 * costs one write unit: run by `keyward migrate`, and by every `npm start` on the local state. Both
 * encodings are read, so an item it does not reach (or skips) works as before, at the old size.
 *
 * Idempotent and safe next to live changes: each write is conditioned on the map being exactly as
 * scanned, so a change that lands meanwhile (a PATCH writes the string; a deletion removes the
 * item) turns it into a no-op, and no item is recreated. Only well-formed maps are rewritten (names
 * of RESOURCE_NAME_PATTERN, modes lists of `read`/`write`): a damaged map stays as it is, read as
 * before (fails closed), rather than be turned into something that reads as clean. Reads the whole
 * table: it needs `dynamodb:Scan`.
 */
export async function rewriteHotPermissions(db: DynamoDBDocumentClient, tableName: string): Promise<HotItemRewrite> {
  const result: HotItemRewrite = { rewritten: 0, skipped: 0 };
  const hotSortKey = hotKeyKey('').sk;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey: start,
        FilterExpression: 'sk = :hot AND attribute_type(#permissions, :map)',
        ProjectionExpression: 'pk, sk, #permissions',
        ExpressionAttributeNames: { '#permissions': 'permissions' },
        ExpressionAttributeValues: { ':hot': hotSortKey, ':map': 'M' },
      }),
    );
    for (const item of page.Items ?? []) {
      const scanned: unknown = item.permissions;
      if (!isWellFormed(scanned)) {
        result.skipped++;
        continue;
      }
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET #permissions = :encoded',
            ConditionExpression: '#permissions = :scanned',
            ExpressionAttributeNames: { '#permissions': 'permissions' },
            ExpressionAttributeValues: { ':encoded': encodeHotPermissions(scanned), ':scanned': scanned },
          }),
        );
        result.rewritten++;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        result.skipped++;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return result;
}

/** A map the compact string holds exactly: resource names it can hold, each a list of distinct modes. */
function isWellFormed(value: unknown): value is Permissions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(
    ([resource, modes]) =>
      RESOURCE_NAME_PATTERN.test(resource) &&
      Array.isArray(modes) &&
      new Set(modes).size === modes.length &&
      modes.every((mode) => (MODES as readonly unknown[]).includes(mode)),
  );
}
