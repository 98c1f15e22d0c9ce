import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ENTITY } from '../../table/layout';

/** One line of `keyward org list` (API.md §4). */
export interface OrganizationSummary {
  id: string;
  name: string;
  /** Members with the admin role. */
  admins: number;
  /** Every member, admins included. */
  members: number;
  /** Keys the management API lists: not deleted, not retired, not past their `expires_at`. */
  api_keys: number;
}

/**
 * Every organization with its counts, for operators (`keyward org list`). Organizations have no
 * index of their own, so this reads the whole table (it needs `dynamodb:Scan`), projecting only
 * what it counts; an operator command, never on a request path.
 */
export async function listOrganizationSummaries(db: DynamoDBDocumentClient, tableName: string, now: Date): Promise<OrganizationSummary[]> {
  const summaries = new Map<string, OrganizationSummary>();
  const summary = (id: string): OrganizationSummary => {
    let found = summaries.get(id);
    if (!found) summaries.set(id, (found = { id, name: id, admins: 0, members: 0, api_keys: 0 }));
    return found;
  };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey: start,
        FilterExpression: 'entity IN (:organization, :member, :apiKey)',
        ProjectionExpression: 'entity, id, organization_id, #name, #role, expires_at',
        ExpressionAttributeNames: { '#name': 'name', '#role': 'role' },
        ExpressionAttributeValues: { ':organization': ENTITY.organization, ':member': ENTITY.member, ':apiKey': ENTITY.apiKey },
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.entity === ENTITY.organization) summary(String(item.id)).name = String(item.name);
      else if (item.entity === ENTITY.member) {
        const organization = summary(String(item.organization_id));
        organization.members += 1;
        if (item.role === 'admin') organization.admins += 1;
      } else if (typeof item.expires_at !== 'string' || Date.parse(item.expires_at) > now.getTime()) {
        summary(String(item.organization_id)).api_keys += 1;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...summaries.values()].sort((a, b) => a.id.localeCompare(b.id));
}
