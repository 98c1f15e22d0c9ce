import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDbHttpClient } from '../../lambdas/adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from '../../lambdas/adapters/dynamodb-http/key-lookup';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { ensureTable } from '../../local/table';

function endpoint(): string {
  const url = process.env.DYNAMODB_ENDPOINT;
  if (!url) throw new Error('DYNAMODB_ENDPOINT is not set: run integration tests through jest (globalSetup)');
  return url;
}

/** What a Lambda function of `tableName` finds in its environment, pointed at the test DynamoDB Local. */
export function lambdaEnvironment(tableName: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: endpoint(),
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  };
}

/** The api-key authorizer's thin adapter (adapters/dynamodb-http/) on a test table. */
export function thinKeyLookup(tableName: string): DynamoDbHttpKeyLookup {
  return new DynamoDbHttpKeyLookup(new DynamoDbHttpClient({ ...LOCAL_AWS, endpoint: endpoint() }), tableName);
}

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
  const clientConfig = { ...LOCAL_AWS, endpoint: endpoint() };
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
