import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { ensureTable } from '../../local/table';

/**
 * A fresh table on the DynamoDB Local started by the integration globalSetup. Call in
 * `beforeAll`; `drop()` in `afterAll`.
 *
 * DynamoDB Local deletes items whose TTL has passed, as DynamoDB does, within a second or so. A
 * scheduled rotation puts a TTL on the hot item, so tests that drive a ManualClock start it in
 * 2036: with a date in the real past, the hot item could vanish in the middle of a test.
 */
export async function createTestTable(): Promise<{
  client: DynamoDBClient;
  /** The settings `client` was built with, for `documentClient()`. */
  clientConfig: DynamoDBClientConfig;
  tableName: string;
  drop(): Promise<void>;
}> {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run integration tests through jest (globalSetup)');
  const clientConfig = { ...LOCAL_AWS, endpoint };
  const client = new DynamoDBClient(clientConfig);
  const tableName = `keyward-test-${randomUUID()}`;
  await ensureTable(client, tableName);
  return {
    client,
    clientConfig,
    tableName,
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
