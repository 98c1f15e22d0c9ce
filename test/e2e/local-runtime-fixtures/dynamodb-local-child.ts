import { startDynamoDbLocal } from '../../../local/dynamodb-local';

/** A process that starts DynamoDB Local and prints Java's pid: the test kills it with SIGKILL. */
void startDynamoDbLocal({ port: Number(process.argv[2]) }).then((dynamo) => console.log(`java ${dynamo.process.pid}`));
