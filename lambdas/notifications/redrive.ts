import type { FailureQueue } from '../domain/ports';
import { logger } from '../observability/logger';
import type { ItemKey } from '../table/layout';
import { type MailedAuditEvent, parseAuditEventItem } from './notifier';
import type { UndeliveredLog } from './undelivered-log';

/** What `keyward notifications redrive` reports (API.md §4): audit events delivered, and not. */
export interface RedriveResult {
  redriven: number;
  failed: number;
}

/**
 * Re-delivers one audit event read back from the table (never from the stream, which keeps
 * records 24 hours): the same idempotent delivery as the notifier, so an event whose email did go
 * out sends nothing again. True when it is delivered (now or before).
 */
export function createEventRedrive(deps: {
  readItem: (key: ItemKey) => Promise<Record<string, unknown> | undefined>;
  deliver: (event: MailedAuditEvent) => Promise<void>;
}): (key: ItemKey) => Promise<boolean> {
  return async (key) => {
    try {
      const item = await deps.readItem(key);
      if (!item) throw new Error('the audit event is not in the table');
      await deps.deliver(parseAuditEventItem(item));
      return true;
    } catch (error) {
      logger.error('redrive: admin email not delivered', { ...key, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  };
}

/**
 * The AWS redrive: for each failure-queue message, the undelivered log gives the audit events of
 * its batch; each is re-read and delivered. A message is deleted only once every event of its
 * batch is delivered; otherwise it stays for the next run. A batch with fewer noted events than
 * its size was never fully seen by the notifier (it timed out or crashed before noting): it is
 * kept and counted failed, since only the stream (24 h) still knows those records.
 */
export async function redriveFailureQueue(deps: {
  queue: FailureQueue;
  undelivered: UndeliveredLog;
  redriveEvent: (key: ItemKey) => Promise<boolean>;
  warn: (message: string) => void;
}): Promise<RedriveResult> {
  const result: RedriveResult = { redriven: 0, failed: 0 };
  const { batches, unreadable } = await deps.queue.receiveAll();
  for (const handle of unreadable) {
    deps.warn('a failure-queue message is not a stream batch pointer; it is left in the queue');
    result.failed += 1;
    await deps.queue.release(handle);
  }
  for (const batch of batches) {
    const records = await deps.undelivered.find(batch.streamArn, batch.startSequenceNumber, batch.endSequenceNumber);
    let done = true;
    for (const record of records) {
      if (await deps.redriveEvent(record.event)) result.redriven += 1;
      else {
        result.failed += 1;
        done = false;
      }
    }
    const unseen = batch.batchSize - records.length;
    if (unseen > 0) {
      deps.warn(
        `${unseen} record(s) of the batch ${batch.startSequenceNumber}..${batch.endSequenceNumber} were never noted by the notifier; ` +
          'the message is left in the queue (see the notifier logs for the batch)',
      );
      result.failed += unseen;
      done = false;
    }
    await (done ? deps.queue.delete(batch.handle) : deps.queue.release(batch.handle));
  }
  return result;
}
