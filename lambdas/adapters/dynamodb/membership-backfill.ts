import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Member, Role } from '../../domain/ports';
import { MEMBERSHIP_PREFIX, memberKey, membershipKey, organizationKey, SORT_KEY_PREFIX } from '../../table/layout';
import { membershipItem } from './items';

type Item = Record<string, unknown>;
/** The organization item's sort key. */
const ORGANIZATION_SK = organizationKey('').sk;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface MembershipBackfill {
  /** Membership items written because they were missing or stale. */
  written: number;
  /** Membership items removed because their member item is gone. */
  removed: number;
}

/**
 * Makes the membership items (`USER#<email>` / `MEMBERSHIP#<org>`, the inverse of the member
 * items) agree with the member items, for tables written before memberships existed: run by
 * `keyward migrate` against a deployed table, and by every `npm start` on the local state.
 * Idempotent, and safe next to live member changes: each write is conditioned on the member item
 * as it was scanned, so a change that lands meanwhile (and writes its own membership item) turns
 * the write into a no-op instead of being undone. Reads the whole table: it needs `dynamodb:Scan`.
 */
export async function backfillMemberships(db: DynamoDBDocumentClient, tableName: string): Promise<MembershipBackfill> {
  const organizationNames = new Map<string, string>();
  const members: Member[] = [];
  const memberships = new Map<string, Item>();
  let start: Item | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const sk = String(item.sk);
      if (sk === ORGANIZATION_SK) organizationNames.set(String(item.id), String(item.name));
      else if (sk.startsWith(SORT_KEY_PREFIX.member)) {
        members.push({ organizationId: String(item.organization_id), email: String(item.email), role: item.role as Role });
      } else if (sk.startsWith(MEMBERSHIP_PREFIX)) memberships.set(`${item.pk} ${sk}`, item);
    }
    start = page.LastEvaluatedKey;
  } while (start);

  const memberIs = (
    organizationId: string,
    email: string,
    condition: Omit<NonNullable<TransactItem['ConditionCheck']>, 'TableName' | 'Key'>,
  ) => ({
    ConditionCheck: { TableName: tableName, Key: memberKey(organizationId, email), ...condition },
  });
  let written = 0;
  for (const member of members) {
    const name = organizationNames.get(member.organizationId);
    if (name === undefined) continue;
    const key = membershipKey(member.organizationId, member.email);
    const existing = memberships.get(`${key.pk} ${key.sk}`);
    memberships.delete(`${key.pk} ${key.sk}`);
    if (existing?.organization_name === name && existing.role === member.role) continue;
    const asScanned = memberIs(member.organizationId, member.email, {
      ConditionExpression: '#role = :role',
      ExpressionAttributeNames: { '#role': 'role' },
      ExpressionAttributeValues: { ':role': member.role },
    });
    if (await unlessChanged(db, [asScanned, { Put: { TableName: tableName, Item: membershipItem(member, name) } }])) written++;
  }
  let removed = 0;
  for (const orphan of memberships.values()) {
    const gone = memberIs(String(orphan.organization_id), String(orphan.email), { ConditionExpression: 'attribute_not_exists(pk)' });
    if (await unlessChanged(db, [gone, { Delete: { TableName: tableName, Key: { pk: orphan.pk, sk: orphan.sk } } }])) removed++;
  }
  return { written, removed };
}

/** Runs one transaction; false when its member condition no longer holds (a member change landed since the scan). */
async function unlessChanged(db: DynamoDBDocumentClient, items: TransactItem[]): Promise<boolean> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}
