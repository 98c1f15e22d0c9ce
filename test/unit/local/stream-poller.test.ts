import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { CHECKPOINT_FILE, DEAD_LETTER_FILE, startStreamPoller } from '../../../local/stream-poller';

// DynamoDB Local never sends an attribute the SDK cannot read; a mock can, to show one such record
// cannot hold up the stream.
const dynamodb = mockClient(DynamoDBClient);
const streams = mockClient(DynamoDBStreamsClient);

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/keyward-local/stream/1';

function auditEventRecord(sequenceNumber: string, extra: Record<string, unknown> = {}): StreamRecord {
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: sequenceNumber,
      Keys: { pk: { S: 'ORG#acme' }, sk: { S: `EVENT#${sequenceNumber}` } },
      NewImage: { entity: { S: 'audit_event' }, type: { S: 'api_key.created' }, ...extra } as never,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

describe('the local stream poller', () => {
  let stateDir: string;

  beforeEach(() => {
    dynamodb.reset();
    streams.reset();
    stateDir = mkdtempSync(join(tmpdir(), 'keyward-poller-'));
    dynamodb.on(DescribeTableCommand).resolves({ Table: { LatestStreamArn: STREAM_ARN } });
    streams.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'iterator-1' });
  });

  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('dead-letters a record it cannot read and delivers the records after it', async () => {
    streams
      .on(GetRecordsCommand)
      .resolvesOnce({
        Records: [auditEventRecord('1', { broken: {} }), auditEventRecord('2')],
        NextShardIterator: 'iterator-2',
      })
      .resolves({ Records: [], NextShardIterator: 'iterator-2' });
    const delivered: DynamoDBStreamEvent[] = [];
    const lines: string[] = [];
    const poller = startStreamPoller({
      endpoint: 'http://127.0.0.1:1',
      tableName: 'keyward-local',
      handler: async (event) => {
        delivered.push(event);
        return { batchItemFailures: [] };
      },
      stateDir,
      log: (line) => lines.push(line),
      intervalMs: 10,
    });
    try {
      const deadline = Date.now() + 5000;
      while (delivered.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      await poller.stop();
    }

    expect(delivered.map((event) => event.Records.map((record) => record.dynamodb?.SequenceNumber))).toEqual([['2']]);
    const deadLetters = readFileSync(join(stateDir, DEAD_LETTER_FILE), 'utf8').trim().split('\n');
    expect(deadLetters.map((line) => JSON.parse(line).record.dynamodb.SequenceNumber)).toEqual(['1']);
    expect(lines).toContainEqual(expect.stringContaining('record 1 could not be read'));
    expect(JSON.parse(readFileSync(join(stateDir, CHECKPOINT_FILE), 'utf8')).shards).toEqual({ 'shard-1': '2' });
  });
});
