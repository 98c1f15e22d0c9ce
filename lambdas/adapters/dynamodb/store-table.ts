import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import type { Page, PageRequest } from '../../domain/ports';
import type { ItemKey } from '../../table/layout';
import { apiKeyItem, auditEventItem, hotKeyItem, type Item } from './items';
import { queryAll, queryPage, type Range } from './pages';
import { ABSENT, type TransactItem, TransactItems, transact } from './transactions';

/**
 * The table as the store's use cases (organizations.ts, key-changes.ts, key-marks.ts) see it: one
 * item read strongly consistent, the ranges of pages.ts, the items and running of a transaction,
 * and the items most transactions add (a new key's two items, the audit event).
 */
export class StoreTable {
  readonly items: TransactItems;

  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {
    this.items = new TransactItems(tableName);
  }

  async get(key: ItemKey): Promise<Item | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return result.Item;
  }

  queryAll(range: Range): Promise<Item[]> {
    return queryAll(this.db, this.tableName, range);
  }

  queryPage<T>(range: Range, page: PageRequest & { forward: boolean }, map: (item: Item) => T): Promise<Page<T>> {
    return queryPage(this.db, this.tableName, range, page, map);
  }

  transact(items: TransactItem[], onConditionFailed: (reasons: CancellationReason[]) => void | Promise<void>): Promise<void> {
    return transact(this.db, items, onConditionFailed);
  }

  /** A new key's two items: the key item and the authorizer's hot item. */
  putKey(key: StoredApiKey): TransactItem[] {
    return [this.items.put(apiKeyItem(key), ABSENT), this.items.put(hotKeyItem(key), ABSENT)];
  }

  putEvent(event: AuditEvent): TransactItem {
    return this.items.put(auditEventItem(event), ABSENT);
  }
}
