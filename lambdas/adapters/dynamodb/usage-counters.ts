import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageBatchResult, UsageCounterStore, UsageRollupResult, UsageRollupStore } from '../../domain/ports';
import { BUCKET_MS, type UsageBucket, type UsageGranularity, type UsageIncrement, type UsageQuery } from '../../domain/usage';
import {
  hourOfDay,
  hoursIn,
  isLateHour,
  mergeUsage,
  type RawEntry,
  rawChunks,
  type StoredCounter,
  sumEntries,
} from '../../domain/usage-rollup';
import {
  ENTITY,
  PARTITION_KEY,
  SORT_KEY,
  TTL_ATTRIBUTE,
  USAGE_COUNTER,
  USAGE_RAW_DAYS,
  USAGE_RETENTION_DAYS,
  usageCounterKey,
  usagePartition,
  usageSortKey,
} from '../../table/layout';
import type { Item } from './items';
import { ABSENT, failedAt, transact } from './transactions';
import { markRolled, queryRawHour, rawItem, rolledHours } from './usage-raw';

const DAY_SECONDS = 86_400;

/** Counter writes of one rollup in flight at once, and raw hours read at once. */
const CONCURRENCY = 16;

class AlreadyCounted extends Error {}

/**
 * The usage store (table/layout.ts): raw tallies per batch and hour (`USAGERAW#<hour>`), the
 * counters (`USAGE#<org>`) and the rollup's hour markers (`USAGEROLLUP`); the rules are in
 * domain/usage-rollup.ts. The aggregator `add`s a batch: one raw item per hour and chunk, put only
 * if absent, so a redelivered batch (Lambda's retries, a replay) adds nothing; a chunk of an hour
 * past the cut-off is late: its raw item (the marker) and its counters in one transaction. The
 * rollup adds a closed hour's raw sums to each key's hourly and daily counter with the hour in
 * the counter's `rolled_hours`, on the condition it is not there yet: a rollup run again, or two
 * at once, adds each hour once. Readers take the counters plus the raw hours not rolled.
 */
export class DynamoDbUsageCounters implements UsageCounterStore, UsageRollupStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async add(batchId: string, increments: readonly UsageIncrement[]): Promise<UsageBatchResult> {
    const result: UsageBatchResult = { chunks: 0, duplicates: 0, late: 0 };
    await inParallel(rawChunks(increments), CONCURRENCY, async (chunk) => {
      const nowMs = this.now();
      const late = isLateHour(Date.parse(chunk.hour), nowMs);
      const item = rawItem(chunk, batchId, late, nowMs);
      try {
        if (late) await this.addLate(item, chunk.hour, chunk.entries);
        else await this.putAbsent(item);
        result.chunks += 1;
        if (late) result.late += 1;
      } catch (error) {
        if (!(error instanceof AlreadyCounted)) throw error;
        result.duplicates += 1;
      }
    });
    return result;
  }

  private async putAbsent(item: Item): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: ABSENT.expression }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new AlreadyCounted();
      throw error;
    }
  }

  /** A late chunk: its raw item (so a redelivery adds nothing) and its counters, in one transaction. */
  private async addLate(item: Item, hour: string, entries: readonly RawEntry[]): Promise<void> {
    const counters = entries.flatMap((entry) =>
      (['hour', 'day'] as const).map((granularity) => ({ Update: this.counter(entry, granularity, hour) })),
    );
    await transact(
      this.db,
      [{ Put: { TableName: this.tableName, Item: item, ConditionExpression: ABSENT.expression } }, ...counters],
      (reasons) => {
        if (failedAt(reasons, 0)) throw new AlreadyCounted();
      },
    );
  }

  async unrolledHours(hours: readonly string[]): Promise<string[]> {
    if (hours.length === 0) return [];
    const rolled = await rolledHours(this.db, this.tableName, hours[0]!, hours[hours.length - 1]!);
    return hours.filter((hour) => !rolled.has(hour));
  }

  async rollUp(hour: string): Promise<UsageRollupResult> {
    const tallies = await queryRawHour(this.db, this.tableName, hour);
    // Late tallies are in the counters already (their own transaction).
    const sums = sumEntries(tallies.filter((tally) => !tally.late).flatMap((tally) => tally.entries));
    const writes = sums.flatMap((sum) => (['hour', 'day'] as const).map((granularity) => ({ sum, granularity })));
    const result: UsageRollupResult = { tallies: tallies.length, keys: sums.length, added: 0, alreadyRolled: 0 };
    await inParallel(writes, CONCURRENCY, async ({ sum, granularity }) => {
      try {
        await this.db.send(new UpdateCommand(this.counter(sum, granularity, hour, true)));
        result.added += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        result.alreadyRolled += 1;
      }
    });
    return result;
  }

  markRolled(hour: string, keys: number): Promise<void> {
    return markRolled(this.db, this.tableName, hour, keys, this.now());
  }

  /**
   * One counter's update: ADD the sums. The rollup's (`rolled`) also adds the hour to
   * `rolled_hours`, on the condition it is not there: the sums and the mark are one write.
   */
  private counter(entry: RawEntry, granularity: UsageGranularity, hour: string, rolled = false) {
    const start = new Date(Math.floor(Date.parse(hour) / BUCKET_MS[granularity]) * BUCKET_MS[granularity]).toISOString();
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
      ':allowed': entry.allowed,
      ':throttled': entry.throttled,
      ':entity': ENTITY.usage,
      ':org': entry.organizationId,
      ':key': entry.apiKeyId,
      ':granularity': granularity,
      ':start': start,
      ':ttl': Math.floor((Date.parse(start) + BUCKET_MS[granularity]) / 1000) + USAGE_RETENTION_DAYS[granularity] * DAY_SECONDS,
    };
    const adds = ['#allowed :allowed', '#throttled :throttled'];
    Object.entries(entry.denied).forEach(([code, count], index) => {
      names[`#denied${index}`] = `${USAGE_COUNTER.deniedPrefix}${code}`;
      values[`:denied${index}`] = count;
      adds.push(`#denied${index} :denied${index}`);
    });
    if (rolled) {
      names['#rolled'] = USAGE_COUNTER.rolledHours;
      values[':hours'] = new Set([hourOfDay(hour)]);
      values[':hour'] = hourOfDay(hour);
      adds.push('#rolled :hours');
    }
    return {
      TableName: this.tableName,
      Key: usageCounterKey(entry.organizationId, granularity, start, entry.apiKeyId),
      UpdateExpression: `ADD ${adds.join(', ')} SET #entity = :entity, #org = :org, #key = :key, #granularity = :granularity, #start = :start, #ttl = :ttl`,
      ...(rolled ? { ConditionExpression: 'attribute_not_exists(#rolled) OR NOT contains(#rolled, :hour)' } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /**
   * The buckets starting in `[from, to)`, oldest first (one key's, with `apiKeyId`): the counters,
   * and the raw tallies of the hours in those buckets that are not rolled. Read in this order: the
   * rollup's markers (written last), the counters, the raw hours of no marker; each key's counter
   * names the hours already in it, so a rollup between the reads counts nothing twice.
   */
  async list(organizationId: string, query: UsageQuery): Promise<UsageBucket[]> {
    const size = BUCKET_MS[query.granularity];
    const nowMs = this.now();
    // The hours of the buckets starting before `to` that may have raw tallies: the last USAGE_RAW_DAYS, up to now.
    const lastEnd = Math.min(Math.ceil(query.to.getTime() / size) * size, nowMs + 1);
    const firstHour = Math.max(query.from.getTime(), nowMs - USAGE_RAW_DAYS * BUCKET_MS.day);
    const unrolled = await this.unrolledHours(hoursIn(firstHour, lastEnd));
    const counters = await this.counters(organizationId, query);
    const raw = new Map<string, RawEntry[]>();
    await inParallel(unrolled, CONCURRENCY, async (hour) => {
      const tallies = await queryRawHour(this.db, this.tableName, hour);
      const entries = tallies
        .filter((tally) => !tally.late)
        .flatMap((tally) => tally.entries)
        .filter((entry) => entry.organizationId === organizationId && (query.apiKeyId === undefined || entry.apiKeyId === query.apiKeyId));
      if (entries.length > 0) raw.set(hour, entries);
    });
    return mergeUsage(counters, raw, query.granularity);
  }

  /** The counters of the buckets starting in `[from, to)`. */
  private async counters(organizationId: string, query: UsageQuery): Promise<StoredCounter[]> {
    const counters: StoredCounter[] = [];
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
      for (const item of page.Items ?? []) counters.push(toCounter(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return counters;
  }
}

/** Runs `work` on each item, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    try {
      while (next < items.length && !failed) await work(items[next++]!);
    } catch (error) {
      // The other workers start nothing more: the run fails as a whole, and is run again.
      failed = true;
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function toCounter(item: Item): StoredCounter {
  const rolled = item[USAGE_COUNTER.rolledHours];
  return { bucket: toBucket(item), rolledHours: new Set(rolled instanceof Set ? [...rolled].map(Number) : []) };
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
