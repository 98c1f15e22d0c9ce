import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageBatchResult, UsageCounterStore } from '../../domain/ports';
import { BUCKET_MS, type UsageBucket, type UsageIncrement, type UsageQuery } from '../../domain/usage';
import {
  ENTITY,
  PARTITION_KEY,
  SORT_KEY,
  TTL_ATTRIBUTE,
  USAGE_BATCH_MARKER_DAYS,
  USAGE_COUNTER,
  USAGE_RETENTION_DAYS,
  usageBatchKey,
  usageCounterKey,
  usagePartition,
  usageSortKey,
} from '../../table/layout';
import type { Item } from './items';
import { ABSENT, failedAt, TransactItems, transact } from './transactions';

/** DynamoDB's transaction limit is 100 items: the batch marker and 99 counters. */
export const COUNTERS_PER_TRANSACTION = 99;

const DAY_SECONDS = 86_400;

class AlreadyCounted extends Error {}

/**
 * The usage counters (table/layout.ts `USAGE#<org>`): the aggregator ADDs a batch's sums, and the
 * usage service reads a range back. Each transaction holds the marker of the batch's chunk (put
 * only if absent) with the counters it adds, so a redelivered batch (Lambda's retries of the same
 * event, a log shipper that sends again) adds nothing: its markers are there, every transaction
 * is cancelled by its first item. A batch too big for one transaction is cut into chunks in a
 * fixed order, each with its own marker, so a batch that failed half way counts the rest once.
 */
export class DynamoDbUsageCounters implements UsageCounterStore {
  private readonly items: TransactItems;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.items = new TransactItems(tableName);
  }

  async add(batchId: string, increments: readonly UsageIncrement[]): Promise<UsageBatchResult> {
    const result: UsageBatchResult = { chunks: 0, duplicates: 0 };
    for (let first = 0, chunk = 0; first < increments.length; first += COUNTERS_PER_TRANSACTION, chunk++) {
      const part = increments.slice(first, first + COUNTERS_PER_TRANSACTION);
      const marker = this.items.put(
        {
          ...usageBatchKey(`${batchId}#${chunk}`),
          entity: ENTITY.usageBatch,
          counters: part.length,
          counted_at: new Date(this.now()).toISOString(),
          [TTL_ATTRIBUTE]: Math.floor(this.now() / 1000) + USAGE_BATCH_MARKER_DAYS * DAY_SECONDS,
        },
        ABSENT,
      );
      try {
        await transact(this.db, [marker, ...part.map((increment) => this.counter(increment))], (reasons) => {
          if (failedAt(reasons, 0)) throw new AlreadyCounted();
        });
        result.chunks += 1;
      } catch (error) {
        if (!(error instanceof AlreadyCounted)) throw error;
        result.duplicates += 1;
      }
    }
    return result;
  }

  private counter(increment: UsageIncrement) {
    const names: Record<string, string> = {
      '#allowed': USAGE_COUNTER.allowed,
      '#throttled': USAGE_COUNTER.throttled,
      '#entity': 'entity',
      '#org': 'organization_id',
      '#key': 'api_key_id',
      '#granularity': 'granularity',
      '#start': 'start',
      '#ttl': TTL_ATTRIBUTE,
    };
    const values: Record<string, unknown> = {
      ':allowed': increment.allowed,
      ':throttled': increment.throttled,
      ':entity': ENTITY.usage,
      ':org': increment.organizationId,
      ':key': increment.apiKeyId,
      ':granularity': increment.granularity,
      ':start': increment.start,
      ':ttl':
        Math.floor((Date.parse(increment.start) + BUCKET_MS[increment.granularity]) / 1000) +
        USAGE_RETENTION_DAYS[increment.granularity] * DAY_SECONDS,
    };
    const adds = ['#allowed :allowed', '#throttled :throttled'];
    Object.entries(increment.denied).forEach(([code, count], index) => {
      names[`#denied${index}`] = `${USAGE_COUNTER.deniedPrefix}${code}`;
      values[`:denied${index}`] = count;
      adds.push(`#denied${index} :denied${index}`);
    });
    return {
      Update: {
        TableName: this.tableName,
        Key: usageCounterKey(increment.organizationId, increment.granularity, increment.start, increment.apiKeyId),
        UpdateExpression: `ADD ${adds.join(', ')} SET #entity = :entity, #org = :org, #key = :key, #granularity = :granularity, #start = :start, #ttl = :ttl`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** The buckets starting in `[from, to)`, oldest first (one key's, with `apiKeyId`). */
  async list(organizationId: string, query: UsageQuery): Promise<UsageBucket[]> {
    const buckets: UsageBucket[] = [];
    let start: Item | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: `${PARTITION_KEY} = :pk AND ${SORT_KEY} BETWEEN :from AND :to`,
          ...(query.apiKeyId !== undefined ? { FilterExpression: 'api_key_id = :key' } : {}),
          ExpressionAttributeValues: {
            ':pk': usagePartition(organizationId),
            // `<prefix><start>#<key>` sorts after `<prefix><start>`: the lower bound includes the
            // first bucket's keys, the upper one excludes those of the bucket starting at `to`.
            ':from': usageSortKey(query.granularity, query.from.toISOString(), '').slice(0, -1),
            ':to': usageSortKey(query.granularity, query.to.toISOString(), '').slice(0, -1),
            ...(query.apiKeyId !== undefined ? { ':key': query.apiKeyId } : {}),
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) buckets.push(toBucket(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return buckets;
  }
}

function toBucket(item: Item): UsageBucket {
  const denied: Record<string, number> = {};
  for (const [attribute, value] of Object.entries(item)) {
    if (attribute.startsWith(USAGE_COUNTER.deniedPrefix) && typeof value === 'number' && value > 0) {
      denied[attribute.slice(USAGE_COUNTER.deniedPrefix.length)] = value;
    }
  }
  return {
    start: String(item.start),
    api_key_id: String(item.api_key_id),
    allowed: Number(item[USAGE_COUNTER.allowed] ?? 0),
    denied,
    throttled: Number(item[USAGE_COUNTER.throttled] ?? 0),
  };
}
