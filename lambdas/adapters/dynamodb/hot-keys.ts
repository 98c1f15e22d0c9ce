import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { HotKey } from '../../domain/api-key';
import type { HotKeyStore } from '../../domain/ports';
import { hotKeyRead, usageWrite } from './hot-key-requests';
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
      await this.db.send(new TransactWriteCommand(usageWrite(this.tableName, key, at, staleBefore)));
      return true;
    } catch (error) {
      // Another request recorded the use first, or the key vanished: nothing to write.
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }
}
