import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationFailed } from '../../domain/errors';
import type { Page, PageRequest } from '../../domain/ports';
import { PARTITION_KEY, SORT_KEY } from '../../table/layout';
import type { Item } from './items';

/**
 * Reading one partition's items under a sort-key prefix: all of them, or one page with an opaque
 * cursor (the last item's sort key, base64url).
 */

/** Which items a query reads: one partition, the sort keys that start with `prefix`. */
export interface Range {
  partition: string;
  prefix: string;
}

function query(db: DynamoDBDocumentClient, tableName: string, range: Range, options: { forward?: boolean; limit?: number; start?: Item }) {
  return db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: `${PARTITION_KEY} = :pk AND begins_with(${SORT_KEY}, :prefix)`,
      ExpressionAttributeValues: { ':pk': range.partition, ':prefix': range.prefix },
      ScanIndexForward: options.forward,
      ConsistentRead: true,
      Limit: options.limit,
      ExclusiveStartKey: options.start,
    }),
  );
}

/** Every item of the range, in sort-key order. */
export async function queryAll(db: DynamoDBDocumentClient, tableName: string, range: Range): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await query(db, tableName, range, { start });
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * One page of the range. Reads one item beyond the page so that `nextCursor` is null exactly when
 * nothing follows. Throws ValidationFailed({cursor}) for a cursor that is not from this range.
 */
export async function queryPage<T>(
  db: DynamoDBDocumentClient,
  tableName: string,
  range: Range,
  page: PageRequest & { forward: boolean },
  map: (item: Item) => T,
): Promise<Page<T>> {
  let start: Item | undefined;
  if (page.cursor !== undefined) {
    const sk = decodeCursor(page.cursor);
    if (!sk?.startsWith(range.prefix)) throw new ValidationFailed({ cursor: ['is not a cursor from this list'] });
    start = { [PARTITION_KEY]: range.partition, [SORT_KEY]: sk };
  }
  const items: Item[] = [];
  do {
    const result = await query(db, tableName, range, { forward: page.forward, limit: page.limit + 1 - items.length, start });
    items.push(...(result.Items ?? []));
    start = result.LastEvaluatedKey;
  } while (start && items.length <= page.limit);
  const pageItems = items.slice(0, page.limit);
  const nextCursor = items.length > page.limit ? encodeCursor(String(pageItems[pageItems.length - 1]![SORT_KEY])) : null;
  return { items: pageItems.map(map), nextCursor };
}

function encodeCursor(sk: string): string {
  return Buffer.from(sk, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
