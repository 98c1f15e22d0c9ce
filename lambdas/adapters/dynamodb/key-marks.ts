import type { StoredApiKey } from '../../domain/api-key';
import type { AuditEvent } from '../../domain/audit-event';
import { apiKeyKey, STILL_IN_USE_WARNED_FOR_ATTRIBUTE } from '../../table/layout';
import { REMINDERS_SENT_ATTRIBUTE } from './items';
import type { StoreTable } from './store-table';
import { EXISTS, failedAt } from './transactions';

/**
 * The once-only marks of an expiring key's lifecycle: the "still in use" warning per expiry, and
 * each reminder mark. Each is written with its audit event in one conditional transaction, so a
 * retry or a concurrent writer records it (and its email) at most once; false when it was not due.
 */

export async function recordStillInUse(
  table: StoreTable,
  input: { organizationId: string; apiKeyId: string; expiresAt: string; event: AuditEvent },
): Promise<boolean> {
  const mark = table.items.update(apiKeyKey(input.organizationId, input.apiKeyId), {
    expression: `SET ${STILL_IN_USE_WARNED_FOR_ATTRIBUTE} = :expires_at`,
    condition: `${EXISTS.expression} AND expires_at = :expires_at AND (attribute_not_exists(${STILL_IN_USE_WARNED_FOR_ATTRIBUTE}) OR ${STILL_IN_USE_WARNED_FOR_ATTRIBUTE} <> :expires_at)`,
    values: { ':expires_at': input.expiresAt },
  });
  try {
    await table.transact([mark, table.putEvent(input.event)], (reasons) => {
      if (failedAt(reasons, 0)) throw new NotMarked();
    });
    return true;
  } catch (error) {
    if (error instanceof NotMarked) return false;
    throw error;
  }
}

export async function recordReminder(
  table: StoreTable,
  input: { key: StoredApiKey; expiresAt: string; markDays: number; event: AuditEvent },
): Promise<boolean> {
  const { key, expiresAt, markDays, event } = input;
  const mark = String(markDays);
  try {
    await table.transact(
      [
        table.items.update(apiKeyKey(key.organizationId, key.id), {
          expression: `ADD ${REMINDERS_SENT_ATTRIBUTE} :marks`,
          condition: `expires_at = :expires_at AND (attribute_not_exists(${REMINDERS_SENT_ATTRIBUTE}) OR NOT contains(${REMINDERS_SENT_ATTRIBUTE}, :mark))`,
          values: { ':marks': new Set([mark]), ':expires_at': expiresAt, ':mark': mark },
        }),
        table.putEvent(event),
      ],
      (reasons) => {
        if (failedAt(reasons, 0)) throw new ReminderNotDue();
      },
    );
    return true;
  } catch (error) {
    if (error instanceof ReminderNotDue) return false;
    throw error;
  }
}

/** The "still in use" mark's condition failed: warned already, expiry moved, or key gone. */
class NotMarked extends Error {}

/** The reminder's key no longer expires at the job's instant, or the mark was already reminded. */
class ReminderNotDue extends Error {}
