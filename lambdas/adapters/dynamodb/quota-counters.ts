import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { quotaCounterKey, TTL_ATTRIBUTE } from '../../table/layout';
import type { StoreTable } from './store-table';

/**
 * The local gateway's quota counters (API.md §9): one item per organization and quota window,
 * counted with a conditional ADD so it never passes the limit, read by `GET …/settings`
 * (`quota_used`). In AWS, API Gateway's usage plans count instead. An item outlives its window by
 * its TTL (the longest window, a month, plus a margin).
 */

const KEEP_SECONDS = 40 * 24 * 60 * 60;

export async function quotaUsed(table: StoreTable, organizationId: string, windowStart: Date): Promise<number> {
  const item = await table.get(quotaCounterKey(organizationId, windowStart.toISOString()));
  return typeof item?.used === 'number' ? item.used : 0;
}

export async function countQuota(table: StoreTable, organizationId: string, windowStart: Date, limit: number): Promise<boolean> {
  try {
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: quotaCounterKey(organizationId, windowStart.toISOString()),
        UpdateExpression: 'ADD used :one SET #ttl = if_not_exists(#ttl, :ttl)',
        ConditionExpression: 'attribute_not_exists(used) OR used < :limit',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': Math.ceil(windowStart.getTime() / 1000) + KEEP_SECONDS },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
