import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { HotKey } from '../../domain/api-key';
import type { HotKeyStore } from '../../domain/ports';
import { hotKeyRead, usageWrite } from '../dynamodb/hot-key-requests';
import { toHotKey } from '../dynamodb/items';
import { itemFromWire } from './attribute-values';
import type { DynamoDbHttpClient } from './client';
import { TransactionCanceled } from './errors';

/**
 * The authorizer's HotKeyStore over the thin client: the same two requests as `DynamoDbHotKeyStore`
 * (built by dynamodb/hot-key-requests.ts), with the same answers. test/integration/store/key-lookup-contract
 * runs one set of cases against both on DynamoDB Local.
 */
export class DynamoDbHttpKeyLookup implements HotKeyStore {
  constructor(
    private readonly client: DynamoDbHttpClient,
    private readonly tableName: string,
  ) {}

  async findByHash(tokenHash: string): Promise<HotKey | undefined> {
    const read = hotKeyRead(this.tableName, tokenHash);
    const { Item } = await this.client.send('GetItem', { ...read, Key: marshall(read.Key) });
    return Item === undefined ? undefined : toHotKey(itemFromWire(Item), tokenHash);
  }

  async recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean> {
    const items = usageWrite(this.tableName, key, at, staleBefore).TransactItems.map(({ Update }) => ({
      Update: { ...Update, Key: marshall(Update.Key), ExpressionAttributeValues: marshall(Update.ExpressionAttributeValues) },
    }));
    try {
      // The token the SDK would generate: a retry of a write that did commit succeeds again instead of being cancelled.
      await this.client.send('TransactWriteItems', { TransactItems: items, ClientRequestToken: randomUUID() });
      return true;
    } catch (error) {
      // Another request recorded the use first, or the key vanished: nothing to write.
      if (error instanceof TransactionCanceled) return false;
      throw error;
    }
  }
}
