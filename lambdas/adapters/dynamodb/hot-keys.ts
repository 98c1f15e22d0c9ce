import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { HotKey } from '../../domain/api-key';
import type { HotKeyStore } from '../../domain/ports';
import { toHotKey } from './items';
import { apiKeyKey, hotKeyKey, LAST_USED_AT_ATTRIBUTE } from './table-layout';
import { EXISTS, updateItem } from './transactions';

/**
 * The api-key authorizer's side of the table: one strongly consistent read of the hot item, and
 * the usage write. A module of its own so the authorizer's bundle holds nothing of the management
 * store (DESIGN.md "Cold start"), and its IAM grant (lib/constructs/api-key-authorizer.ts) covers
 * exactly what is here.
 */
export class DynamoDbHotKeyStore implements HotKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findByHash(tokenHash: string): Promise<HotKey | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.tableName, Key: hotKeyKey(tokenHash), ConsistentRead: true }));
    return result.Item && toHotKey(result.Item, tokenHash);
  }

  async recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean> {
    // Names nothing beyond USAGE_WRITE_ATTRIBUTES: the authorizer's IAM grant allows only those.
    const setLastUsed = `SET ${LAST_USED_AT_ATTRIBUTE} = :at`;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            updateItem(this.tableName, hotKeyKey(key.tokenHash), {
              expression: setLastUsed,
              condition: `${EXISTS.expression} AND (attribute_not_exists(${LAST_USED_AT_ATTRIBUTE}) OR ${LAST_USED_AT_ATTRIBUTE} < :stale)`,
              values: { ':at': at.toISOString(), ':stale': staleBefore.toISOString() },
            }),
            updateItem(this.tableName, apiKeyKey(key.organizationId, key.apiKeyId), {
              expression: setLastUsed,
              condition: EXISTS.expression,
              values: { ':at': at.toISOString() },
            }),
          ],
        }),
      );
      return true;
    } catch (error) {
      // Another request recorded the use first, or the key vanished: nothing to write.
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }
}
