import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one way keyward builds its DynamoDB document client: the handlers, the operator CLI, the
 * local stack's seed and the tests all send through this, so they write items alike (`undefined`
 * fields are dropped, which the store's item builders rely on). `config` is the SDK's: `{}` in AWS
 * (default credential chain and region), an endpoint and credentials for DynamoDB Local.
 */
export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
}
