import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { freePort } from './free-port';

/** Jest globalSetup for integration tests: one in-memory DynamoDB Local; each test file makes its own table. */
export default async function setup(): Promise<void> {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __dynamoDbLocal__?: typeof dynamo }).__dynamoDbLocal__ = dynamo;
}
