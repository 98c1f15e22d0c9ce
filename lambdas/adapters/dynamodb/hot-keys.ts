import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HotKey } from '../../domain/api-key';
import type { HotKeyStore } from '../../domain/ports';
import { hotKeyKey, LAST_USED_AT_ATTRIBUTE } from '../../table/layout';
import { hotKeyRead, LAST_USE_PROJECTION, usageWrite } from './hot-key-requests';
import { toHotKey } from './items';

/**
 * The api-key authorizer's side of the table through the AWS SDK: one strongly consistent read of
 * the hot item, and the usage write (requests from hot-key-requests.ts). The deployed authorizer
 * sends the same requests through its thin adapter (adapters/dynamodb-http/); this one serves the
 * management store, the local tools and the tests, and test/integration/store/key-lookup-contract
 * runs one set of cases against both.
 */
export class DynamoDbHotKeyStore implements HotKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findByHash(tokenHash: string): Promise<HotKey | undefined> {
    const result = await this.db.send(new GetCommand(hotKeyRead(this.tableName, tokenHash)));
    return result.Item && toHotKey(result.Item, tokenHash);
  }

  async recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand(usageWrite(this.tableName, key, at, staleBefore)));
      return true;
    } catch (error) {
      // Another request recorded the use first, or the key vanished: nothing to write.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * The `last_used_at` of each token hash's hot item (strongly consistent, as fresh as the
   * authorizer's last write), absent for a hot item that is gone or was never used. The hot item
   * is the one place the authorizer writes it; the management reads merge it into the key.
   */
  async lastUses(tokenHashes: readonly string[]): Promise<Map<string, string>> {
    // One GetItem each, in parallel (a page holds at most 100 keys): the same read units as a
    // BatchGetItem, and no grant beyond the GetItem every function that reads keys already holds.
    const found = await Promise.all(
      [...new Set(tokenHashes)].map(async (hash) => {
        const { Item } = await this.db.send(
          new GetCommand({
            TableName: this.tableName,
            Key: hotKeyKey(hash),
            ConsistentRead: true,
            ProjectionExpression: LAST_USE_PROJECTION,
          }),
        );
        const lastUsedAt = Item?.[LAST_USED_AT_ATTRIBUTE];
        return typeof lastUsedAt === 'string' ? ([[hash, lastUsedAt]] as const) : [];
      }),
    );
    return new Map(found.flat());
  }
}

/** The later of two ISO instants (either may be null). */
export function laterOf(a: string | null, b: string | null | undefined): string | null {
  if (b === undefined || b === null) return a;
  if (a === null) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}
