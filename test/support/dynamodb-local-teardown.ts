import type { DynamoDbLocal } from '../../local/dynamodb-local';

export default async function teardown(): Promise<void> {
  await (globalThis as { __dynamoDbLocal__?: DynamoDbLocal }).__dynamoDbLocal__?.stop();
}
