import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, undeliveredKey, undeliveredPartition, undeliveredSortKey } from '../table/layout';
import type { UndeliveredLog, UndeliveredRecord } from './undelivered-log';

/** As long as the failure queue keeps its messages (14 days), plus a day to redrive the last ones. */
export const UNDELIVERED_RETENTION_MS = 15 * 24 * 60 * 60 * 1000;

/**
 * The undelivered log as items of the keyward table (lambdas/table/layout.ts). Like delivery records they
 * carry no `entity`, so the notifier's stream filter ignores them.
 */
export class DynamoDbUndeliveredLog implements UndeliveredLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async note(records: UndeliveredRecord[], now: Date): Promise<void> {
    const ttl = Math.ceil((now.getTime() + UNDELIVERED_RETENTION_MS) / 1000);
    await Promise.all(
      records.map((record) =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...undeliveredKey(record.streamArn, record.sequenceNumber),
              sequence_number: record.sequenceNumber,
              event_pk: record.event.pk,
              event_sk: record.event.sk,
              noted_at: now.toISOString(),
              [TTL_ATTRIBUTE]: ttl,
            },
          }),
        ),
      ),
    );
  }

  async find(streamArn: string, firstSequenceNumber: string, lastSequenceNumber: string): Promise<UndeliveredRecord[]> {
    const found: UndeliveredRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: `${PARTITION_KEY} = :pk AND ${SORT_KEY} BETWEEN :first AND :last`,
          ExpressionAttributeValues: {
            ':pk': undeliveredPartition(streamArn),
            ':first': undeliveredSortKey(firstSequenceNumber),
            ':last': undeliveredSortKey(lastSequenceNumber),
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        found.push({
          streamArn,
          sequenceNumber: String(item.sequence_number),
          event: { pk: String(item.event_pk), sk: String(item.event_sk) },
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }
}
