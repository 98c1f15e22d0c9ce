import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HotKey } from '../../domain/api-key';
import type { HotKeyStore } from '../../domain/ports';
import { hotKeyKey, LAST_USED_AT_ATTRIBUTE, PARTITION_KEY } from '../../table/layout';
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
    const found = new Map<string, string>();
    const byPartition = new Map(tokenHashes.map((hash) => [hotKeyKey(hash).pk, hash]));
    const keys = [...new Set(tokenHashes)].map(hotKeyKey);
    for (let from = 0; from < keys.length; from += BATCH_GET_MAX) {
      let request: Record<string, unknown>[] | undefined = keys.slice(from, from + BATCH_GET_MAX);
      while (request && request.length > 0) {
        const result: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: request, ConsistentRead: true, ProjectionExpression: LAST_USE_PROJECTION } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const hash = byPartition.get(String(item[PARTITION_KEY]));
          const lastUsedAt = item[LAST_USED_AT_ATTRIBUTE];
          if (hash !== undefined && typeof lastUsedAt === 'string') found.set(hash, lastUsedAt);
        }
        request = result.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }
}

/** BatchGetItem's limit of keys per request. */
const BATCH_GET_MAX = 100;

/** The later of two ISO instants (either may be null). */
export function laterOf(a: string | null, b: string | null | undefined): string | null {
  if (b === undefined || b === null) return a;
  if (a === null) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}
