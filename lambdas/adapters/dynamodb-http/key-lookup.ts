import { marshall } from '@aws-sdk/util-dynamodb';
import type { HotKey } from '../../domain/api-key';
import type { HotKeyStore } from '../../domain/ports';
import { hotKeyRead, usageWrite } from '../dynamodb/hot-key-requests';
import { toHotKey } from '../dynamodb/items';
import { itemFromWire } from './attribute-values';
import type { DynamoDbHttpClient } from './client';
import { ConditionalCheckFailed } from './errors';

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
    const update = usageWrite(this.tableName, key, at, staleBefore);
    try {
      await this.client.send('UpdateItem', {
        ...update,
        Key: marshall(update.Key),
        ExpressionAttributeValues: marshall(update.ExpressionAttributeValues),
      });
      return true;
    } catch (error) {
      // Another request recorded the use first, or the key vanished: nothing to write. (A retry
      // of a write that did commit lands here too: the value it wrote is the fresh one.)
      if (error instanceof ConditionalCheckFailed) return false;
      throw error;
    }
  }
}
