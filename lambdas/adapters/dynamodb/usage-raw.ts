import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RawChunk, RawEntry } from '../../domain/usage-rollup';
import { HOUR_MS } from '../../domain/usage-rollup';
import {
  ENTITY,
  PARTITION_KEY,
  SORT_KEY,
  TTL_ATTRIBUTE,
  USAGE_RAW_DAYS,
  USAGE_ROLLUP_PARTITION,
  usageRawKey,
  usageRawPartition,
  usageRollupKey,
} from '../../table/layout';
import type { Item } from './items';

const DAY_SECONDS = 86_400;

/**
 * A raw tally's entries as one string, a line per key: `<org>\t<key>\t<allowed>\t<throttled>`
 * then `\t<code>=<n>` per denial code; the organization is left empty when it is the previous
 * line's. Ids and codes never hold a tab, a newline or `=` (domain/usage.ts checks them). About
 * 40 bytes a key: a chunk of 20 keys is one write unit.
 */
export function encodeEntries(entries: readonly RawEntry[]): string {
  let previous: string | undefined;
  return entries
    .map((entry) => {
      const org = entry.organizationId === previous ? '' : entry.organizationId;
      previous = entry.organizationId;
      const denied = Object.entries(entry.denied).map(([code, count]) => `\t${code}=${count}`);
      return `${org}\t${entry.apiKeyId}\t${entry.allowed}\t${entry.throttled}${denied.join('')}`;
    })
    .join('\n');
}

export function decodeEntries(text: string): RawEntry[] {
  let organizationId = '';
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [org, apiKeyId, allowed, throttled, ...codes] = line.split('\t');
      if (org) organizationId = org;
      const denied: Record<string, number> = {};
      for (const pair of codes) {
        const at = pair.lastIndexOf('=');
        denied[pair.slice(0, at)] = Number(pair.slice(at + 1));
      }
      return { organizationId, apiKeyId: apiKeyId!, allowed: Number(allowed), throttled: Number(throttled), denied };
    });
}

/** Kept `USAGE_RAW_DAYS` after its hour's end or now, whichever is later (a late batch's redelivery still finds it). */
function rawExpiry(hour: string, nowMs: number): number {
  return Math.floor(Math.max(Date.parse(hour) + HOUR_MS, nowMs) / 1000) + USAGE_RAW_DAYS * DAY_SECONDS;
}

/** The raw tally item of one chunk of a batch; `late` when its sums go to the counters in the same transaction. */
export function rawItem(chunk: RawChunk, batchId: string, late: boolean, nowMs: number): Item {
  return {
    ...usageRawKey(chunk.hour, batchId, chunk.chunk),
    entity: ENTITY.usageRaw,
    tally: encodeEntries(chunk.entries),
    ...(late ? { late: true } : {}),
    [TTL_ATTRIBUTE]: rawExpiry(chunk.hour, nowMs),
  };
}

/** One raw tally as read back. */
export interface RawTally {
  entries: RawEntry[];
  late: boolean;
}

/** Every raw tally of one hour, strongly consistent (all pages). */
export async function queryRawHour(db: DynamoDBDocumentClient, tableName: string, hour: string): Promise<RawTally[]> {
  const tallies: RawTally[] = [];
  let start: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: `${PARTITION_KEY} = :pk`,
        ExpressionAttributeValues: { ':pk': usageRawPartition(hour) },
        ProjectionExpression: 'tally, late',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) tallies.push({ entries: decodeEntries(String(item.tally ?? '')), late: item.late === true });
    start = page.LastEvaluatedKey;
  } while (start);
  return tallies;
}

/** The hours in `[first, last]` (ISO starts) the rollup has marked rolled. */
export async function rolledHours(db: DynamoDBDocumentClient, tableName: string, first: string, last: string): Promise<Set<string>> {
  const hours = new Set<string>();
  let start: Item | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: `${PARTITION_KEY} = :pk AND ${SORT_KEY} BETWEEN :first AND :last`,
        ExpressionAttributeValues: { ':pk': USAGE_ROLLUP_PARTITION, ':first': first, ':last': last },
        ProjectionExpression: SORT_KEY,
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) hours.add(String(item[SORT_KEY]));
    start = page.LastEvaluatedKey;
  } while (start);
  return hours;
}

/** Marks an hour rolled: written after every counter of the hour holds it. */
export async function markRolled(db: DynamoDBDocumentClient, tableName: string, hour: string, keys: number, nowMs: number): Promise<void> {
  await db.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...usageRollupKey(hour),
        entity: ENTITY.usageRollup,
        keys,
        rolled_at: new Date(nowMs).toISOString(),
        [TTL_ATTRIBUTE]: rawExpiry(hour, nowMs) + DAY_SECONDS,
      },
    }),
  );
}
