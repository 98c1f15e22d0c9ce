import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { toLambdaRecord } from '../../local/stream-poller';

/**
 * Everything a test table's stream on DynamoDB Local holds, from its start, in the shape of Lambda
 * stream records: what an event-source mapping would deliver before its filter.
 */
export async function allStreamRecords(client: DynamoDBClient, tableName: string): Promise<DynamoDBRecord[]> {
  const streams = new DynamoDBStreamsClient({ ...LOCAL_AWS, endpoint: process.env.DYNAMODB_ENDPOINT });
  try {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = described.Table!.LatestStreamArn!;
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
      ).ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []).map((record) => toLambdaRecord(record, streamArn)));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records;
  } finally {
    streams.destroy();
  }
}
