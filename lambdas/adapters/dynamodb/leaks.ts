import type { AuditEvent } from '../../domain/audit-event';
import { LEAKED_KEY_ACTIONS, LeakAlreadyRecorded, type LeakedKeyAction, type LeakRecord } from '../../domain/leak';
import { leakKey } from '../../table/layout';
import type { Item } from './items';
import type { StoreTable } from './store-table';
import { ABSENT, failedAt, type TransactItem } from './transactions';

/**
 * The once-only record of a leaked token's report (API.md §10; table/layout.ts `LEAK#`): put on
 * the condition that none exists, in the transaction of whatever the report did, so two reports
 * of one token (a redelivery, a concurrent duplicate) act once.
 */

/** The record's put, for a transaction: fails its condition when the leak was already recorded. */
export function leakItem(table: StoreTable, leak: LeakRecord): TransactItem {
  const item: Item = {
    ...leakKey(leak.tokenHash),
    organization_id: leak.organizationId,
    api_key_id: leak.apiKeyId,
    action: leak.action,
    reported_at: leak.reportedAt,
    source: leak.source,
    url: leak.url,
    ...(leak.newApiKeyId ? { new_api_key_id: leak.newApiKeyId } : {}),
  };
  return table.items.put(item, ABSENT);
}

export async function findLeak(table: StoreTable, tokenHash: string): Promise<LeakRecord | undefined> {
  const item = await table.get(leakKey(tokenHash));
  if (!item) return undefined;
  const action = (LEAKED_KEY_ACTIONS as readonly unknown[]).includes(item.action) ? (item.action as LeakedKeyAction) : 'notify';
  return {
    tokenHash,
    organizationId: String(item.organization_id),
    apiKeyId: String(item.api_key_id),
    action,
    newApiKeyId: typeof item.new_api_key_id === 'string' ? item.new_api_key_id : null,
    reportedAt: String(item.reported_at),
    source: String(item.source ?? ''),
    url: String(item.url ?? ''),
  };
}

/** A leak that changes no key: the record and its audit event (the outbox of its email and event). */
export async function recordLeak(table: StoreTable, leak: LeakRecord, event: AuditEvent): Promise<void> {
  await table.transact([leakItem(table, leak), table.putEvent(event)], (reasons) => {
    if (failedAt(reasons, 0)) throw new LeakAlreadyRecorded();
  });
}
