import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type Shard,
  ShardIteratorType,
  type AttributeValue as StreamAttributeValue,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { matchesNotifierFilter } from '../lambdas/notifications/stream-filter';
import { LOCAL_AWS, localClientConfig } from './dynamodb-local';
import { startPollLoop } from './poll-loop';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './state';

export interface StreamPollerOptions {
  /** DynamoDB Local's endpoint (it serves the streams API too). */
  endpoint: string;
  /** The key id that opens the local stack's database; the throwaway instances' by default. */
  accessKeyId?: string;
  tableName: string;
  /** The consumer Lambda's handler; it gets the same event shape the event-source mapping sends. */
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  /** The event-source mapping's filter criteria, as a predicate. @default the notifier's (matchesNotifierFilter) */
  filter?: (record: DynamoDBRecord) => boolean;
  /** Holds the per-shard checkpoints and the dead-letter file. */
  stateDir: string;
  /** One per consumer, as each event-source mapping keeps its own position. @default CHECKPOINT_FILE (the notifier's) */
  checkpointFile?: string;
  /** @default DEAD_LETTER_FILE (the notifier's) */
  deadLetterFile?: string;
  log: (line: string) => void;
  /** @default 250 */
  intervalMs?: number;
  /** Attempts per failing record before it goes to the dead-letter file. @default 5 */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt. @default 250 */
  retryBaseMs?: number;
}

export const CHECKPOINT_FILE = 'stream-checkpoints.json';
export const DEAD_LETTER_FILE = 'notifier-dead-letter.jsonl';

interface Checkpoints {
  streamArn: string;
  /** Shard id → sequence number of the last record handled. */
  shards: Record<string, string>;
}

/** The SDK's attribute union → the plain shape Lambda puts in stream events (binary as base64). */
function toLambdaAttribute(value: StreamAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  throw new Error('unknown attribute type in stream record');
}

function toLambdaImage(image: Record<string, StreamAttributeValue> | undefined): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image ?? {}).map(([name, value]) => [name, toLambdaAttribute(value)]));
}

/** A streams-API record in the shape of a Lambda DynamoDB event record. */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const data = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? LOCAL_AWS.region,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: data?.ApproximateCreationDateTime
        ? Math.floor(data.ApproximateCreationDateTime.getTime() / 1000)
        : undefined,
      Keys: toLambdaImage(data?.Keys),
      ...(data?.NewImage ? { NewImage: toLambdaImage(data.NewImage) } : {}),
      ...(data?.OldImage ? { OldImage: toLambdaImage(data.OldImage) } : {}),
      SequenceNumber: data?.SequenceNumber,
      SizeBytes: data?.SizeBytes,
      StreamViewType: data?.StreamViewType,
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The local stand-in for one event-source mapping (the notifier's, the event publisher's): polls DynamoDB Local's stream,
 * applies the same filter as the CDK filter criteria, and invokes the handler with Lambda's event
 * shape. Like Lambda with ReportBatchItemFailures, it retries from the first reported failure
 * (with backoff, a bounded number of times, then the record goes to a dead-letter file) and only
 * then advances the shard's checkpoint. Checkpoints are persisted, so a restart resumes after the
 * last handled record (at-least-once: the handler's idempotency absorbs a replay) instead of
 * mailing every old event again.
 */
export function startStreamPoller(options: StreamPollerOptions): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 250;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const filter = options.filter ?? matchesNotifierFilter;
  const deadLetterFile = options.deadLetterFile ?? DEAD_LETTER_FILE;
  const clientConfig = localClientConfig(options.endpoint, options.accessKeyId);
  const dynamodb = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const checkpointPath = join(options.stateDir, options.checkpointFile ?? CHECKPOINT_FILE);
  const iterators = new Map<string, string>();
  const finished = new Set<string>();
  let checkpoints: Checkpoints | undefined;
  // Only called after the loop below has started: passes are asynchronous.
  const stopped = (): boolean => loop.isStopped();

  async function loadCheckpoints(streamArn: string): Promise<Checkpoints> {
    try {
      const saved = JSON.parse(await readFile(checkpointPath, 'utf8')) as Checkpoints;
      // A different stream (table recreated, `--fresh`) makes the old sequence numbers meaningless.
      if (saved.streamArn === streamArn) return saved;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { streamArn, shards: {} };
  }

  async function saveCheckpoint(shardId: string, sequenceNumber: string): Promise<void> {
    checkpoints!.shards[shardId] = sequenceNumber;
    await mkdir(options.stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const temp = `${checkpointPath}.tmp`;
    await writeFile(temp, `${JSON.stringify(checkpoints, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    await rename(temp, checkpointPath);
  }

  async function listShards(streamArn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }));
      shards.push(...(page.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  async function iteratorFor(streamArn: string, shardId: string): Promise<string | undefined> {
    const after = checkpoints!.shards[shardId];
    try {
      const result = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(after
            ? { ShardIteratorType: ShardIteratorType.AFTER_SEQUENCE_NUMBER, SequenceNumber: after }
            : { ShardIteratorType: ShardIteratorType.TRIM_HORIZON }),
        }),
      );
      return result.ShardIterator;
    } catch (error) {
      if (!(error instanceof TrimmedDataAccessException) || !after) throw error;
      options.log(`stream poller: checkpoint of shard ${shardId} was trimmed; resuming at the oldest record`);
      delete checkpoints!.shards[shardId];
      return iteratorFor(streamArn, shardId);
    }
  }

  async function deadLetter(record: DynamoDBRecord | StreamRecord, why: string): Promise<void> {
    await mkdir(options.stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await appendFile(join(options.stateDir, deadLetterFile), `${JSON.stringify({ at: new Date().toISOString(), record })}\n`, {
      mode: PRIVATE_FILE_MODE,
    });
    options.log(`stream poller: record ${record.dynamodb?.SequenceNumber} ${why}; written to ${deadLetterFile}`);
  }

  /**
   * The records the consumer gets, in Lambda's shape. A record that cannot be converted goes to
   * the dead-letter file at once: retrying it would hold up every record behind it for good.
   */
  async function matchingRecords(records: StreamRecord[], streamArn: string): Promise<DynamoDBRecord[]> {
    const matching: DynamoDBRecord[] = [];
    for (const record of records) {
      let converted: DynamoDBRecord;
      try {
        converted = toLambdaRecord(record, streamArn);
      } catch (error) {
        await deadLetter(record, `could not be read (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      if (filter(converted)) matching.push(converted);
    }
    return matching;
  }

  /**
   * Runs the records through the handler until each has succeeded or been dead-lettered; false
   * when stopped first, so the checkpoint stays put and the rest is delivered after a restart.
   */
  async function deliver(records: DynamoDBRecord[]): Promise<boolean> {
    let pending = records;
    let attempts = 0;
    while (pending.length > 0) {
      let failedAt: number;
      try {
        const response = await options.handler({ Records: pending });
        const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        failedAt = pending.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''));
        // An identifier that matches no record fails the whole batch, as Lambda does.
        if (failedAt === -1 && failed.size > 0) failedAt = 0;
      } catch (error) {
        options.log(`stream poller: handler threw: ${error instanceof Error ? error.message : String(error)}`);
        failedAt = 0;
      }
      if (failedAt === -1) return true;
      if (failedAt > 0) attempts = 0;
      pending = pending.slice(failedAt);
      attempts += 1;
      if (attempts >= maxAttempts) {
        await deadLetter(pending[0]!, `failed ${maxAttempts} times`);
        pending = pending.slice(1);
        attempts = 0;
        continue;
      }
      if (stopped()) return false;
      await sleep(retryBaseMs * 2 ** (attempts - 1));
    }
    return true;
  }

  async function pollShard(streamArn: string, shardId: string): Promise<void> {
    const iterator = iterators.get(shardId) ?? (await iteratorFor(streamArn, shardId));
    if (!iterator) {
      finished.add(shardId);
      return;
    }
    let result: GetRecordsCommandOutput;
    try {
      result = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException)) throw error;
      iterators.delete(shardId);
      return;
    }
    const records = result.Records ?? [];
    if (records.length > 0) {
      const matching = await matchingRecords(records, streamArn);
      if (matching.length > 0 && !(await deliver(matching))) return;
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) await saveCheckpoint(shardId, last);
    }
    if (result.NextShardIterator) {
      iterators.set(shardId, result.NextShardIterator);
    } else {
      iterators.delete(shardId);
      finished.add(shardId);
    }
  }

  async function poll(): Promise<void> {
    const table = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
    if (checkpoints?.streamArn !== streamArn) {
      checkpoints = await loadCheckpoints(streamArn);
      iterators.clear();
      finished.clear();
    }
    const shards = await listShards(streamArn);
    const known = new Set(shards.map((shard) => shard.ShardId));
    for (const shard of shards) {
      if (stopped()) return;
      const shardId = shard.ShardId!;
      if (finished.has(shardId)) continue;
      // Parents first, so a key's events are mailed in the order they happened.
      if (shard.ParentShardId && known.has(shard.ParentShardId) && !finished.has(shard.ParentShardId)) continue;
      await pollShard(streamArn, shardId);
    }
  }

  const loop = startPollLoop({
    intervalMs,
    pass: poll,
    onError: (error) => options.log(`stream poller: ${error instanceof Error ? error.message : String(error)}`),
  });
  return {
    async stop() {
      await loop.stop();
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
