import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import type { AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import { EmailRejected, type KeyStore, type Mailer } from '../domain/ports';
import { logger } from '../observability/logger';
import type { NotifierMetrics } from '../observability/notifier-metrics';
import type { DeliveryLedger } from './delivery-ledger';
import { isMailedEventType, type MailedEventType, renderEmail } from './render';
import type { StillInUseWatcher } from './still-in-use-watcher';
import { matchesKeyUsageFilter, matchesMailFilter } from './stream-filter';
import type { UndeliveredLog, UndeliveredRecord } from './undelivered-log';

export interface DeliveryDeps {
  store: Pick<KeyStore, 'getOrganization' | 'listMembers'>;
  mailer: Mailer;
  ledger: DeliveryLedger;
  clock: Clock;
  /** Counts emails rejected for good. @default none */
  metrics?: NotifierMetrics;
}

export interface NotifierDeps extends DeliveryDeps {
  /** Where the records of a failed batch are noted for `keyward notifications redrive`. @default none */
  undelivered?: UndeliveredLog;
  /** Checks the changed key items the subscription also delivers (API.md §8 "Still in use"); without it they are ignored. */
  stillInUse?: StillInUseWatcher;
}

export type Notifier = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/** An audit-event item as the key store writes it (the stream's NEW_IMAGE, unmarshalled). */
const auditEventItemSchema = z.object({
  id: z.string().min(1),
  organization_id: z.string().min(1),
  type: z.string().refine(isMailedEventType),
  occurred_at: z.string(),
  actor: z.union([
    z.object({ type: z.literal('user'), email: z.string() }),
    z.object({ type: z.literal('system') }),
    z.object({ type: z.literal('operator'), principal: z.string(), user: z.string().optional() }),
  ]),
  api_key_id: z.string(),
  details: z.record(z.string(), z.unknown()).default({}),
});

/** Thrown for a record that can never be mailed; it goes to the DLQ rather than blocking the shard forever. */
export class UndeliverableRecord extends Error {}

export type MailedAuditEvent = AuditEvent & { type: MailedEventType };

function toAuditEvent(record: DynamoDBRecord): MailedAuditEvent {
  // aws-lambda's AttributeValue mirrors the SDK's wire shape; the types differ only nominally.
  return parseAuditEventItem(unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>));
}

/** A mailed audit event from its item as the store writes it (a stream image, or the item read back by redrive). */
export function parseAuditEventItem(image: Record<string, unknown>): MailedAuditEvent {
  const parsed = auditEventItemSchema.safeParse(image);
  if (!parsed.success) throw new UndeliverableRecord(`not an audit event: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  const item = parsed.data;
  return {
    id: item.id,
    organizationId: item.organization_id,
    type: item.type as MailedEventType,
    occurredAt: item.occurred_at,
    actor: item.actor,
    apiKeyId: item.api_key_id,
    details: item.details,
  };
}

/** `items` in runs of at most `size`, in order. */
function runsOf<T>(items: readonly T[], size: number): T[][] {
  const runs: T[][] = [];
  for (let start = 0; start < items.length; start += size) runs.push(items.slice(start, start + size));
  return runs;
}

/**
 * Mails one audit event to its organization's admins, at most once (the delivery ledger): the
 * notifier calls it per stream record, `keyward notifications redrive` per event read back from
 * the table.
 *
 * More admins than one message takes (SES: 50) get the same email as several messages, each
 * recorded in the ledger once it is sent: a retry after a failure part-way mails only the admins
 * no message has reached yet, so nobody gets it twice and nobody is skipped.
 *
 * An email the mail service refuses for good (`EmailRejected`: in the SES sandbox, an admin whose
 * address is not verified) is not retried: the other messages still go, the ledger records the
 * event as failed, it is logged at ERROR and counted (`EmailsRejected`, which has an alarm), and
 * the stream moves on, rather than holding the shard through every retry and then landing in the
 * failure queue. A redrive once the cause is fixed mails the admins of the refused messages only.
 */
export function createDelivery(deps: DeliveryDeps): (event: MailedAuditEvent) => Promise<void> {
  return async (event) => {
    const context = { event_id: event.id, event_type: event.type, organization_id: event.organizationId, api_key_id: event.apiKeyId };

    const claim = await deps.ledger.claim(event.id, deps.clock.now());
    if (claim.status === 'sent') {
      logger.info('email already sent for this event', context);
      return;
    }
    if (claim.status === 'in_progress') throw new Error(`delivery of event ${event.id} is in progress elsewhere`);

    const rejections: EmailRejected[] = [];
    try {
      const [organization, members] = await Promise.all([
        deps.store.getOrganization(event.organizationId),
        deps.store.listMembers(event.organizationId),
      ]);
      const admins = [...new Set(members.filter((member) => member.role === 'admin').map((member) => member.email))].sort();
      const unreached = admins.filter((admin) => !claim.reached.has(admin));
      if (admins.length === 0) logger.warn('no admin to notify', context);
      const email = renderEmail(event, organization ?? { id: event.organizationId, name: event.organizationId });
      const sent = { messages: 0, recipients: 0 };
      for (const recipients of runsOf(unreached, deps.mailer.maxRecipients)) {
        try {
          await deps.mailer.send({ bcc: recipients, ...email });
        } catch (error) {
          if (!(error instanceof EmailRejected)) throw error;
          rejections.push(error);
          continue;
        }
        await deps.ledger.recordReached(event.id, recipients);
        sent.messages += 1;
        sent.recipients += recipients.length;
      }
      if (sent.messages > 0) {
        logger.info('admin email sent', { ...context, ...sent, ...(claim.reached.size > 0 ? { reached_before: claim.reached.size } : {}) });
      }
    } catch (error) {
      await deps.ledger.release(event.id, claim.token);
      throw error;
    }
    if (rejections.length > 0) {
      const [first] = rejections;
      await deps.ledger.markFailed(event.id, claim.token, deps.clock.now(), first!.code);
      logger.error('admin email rejected by the mail service; not retried', {
        ...context,
        error_code: first!.code,
        error: first!.message,
        rejected_messages: rejections.length,
      });
      deps.metrics?.emailRejected();
      return;
    }
    await deps.ledger.markSent(event.id, deps.clock.now());
  };
}

/** The undelivered-log entry of a mailed stream record: where it is in the stream, and its audit event's key. */
function undeliveredRecord(record: DynamoDBRecord): UndeliveredRecord | undefined {
  const streamArn = record.eventSourceARN;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  const keys = record.dynamodb?.Keys ?? record.dynamodb?.NewImage;
  const pk = keys?.pk?.S;
  const sk = keys?.sk?.S;
  if (!streamArn || !sequenceNumber || !pk || !sk) return undefined;
  return { streamArn, sequenceNumber, event: { pk, sk } };
}

/**
 * The notifier (API.md §5, DESIGN.md "Notifications"): consumes the table's stream, where every
 * audit event arrives because it was written in its change's transaction (the outbox), and mails
 * the organization's admins once per event.
 *
 * Records are handled in order; at the first failure the handler stops and reports that record.
 * For a stream, Lambda resumes from the lowest reported sequence number, so the records after it
 * come again anyway, and the ledger makes the ones already sent no-ops.
 *
 * On a failure, the failed record and every mailed record after it in the batch are noted in the
 * undelivered log: if the retries run out, the batch the failure queue points to is exactly these,
 * and redrive finds their audit events there long after the stream has dropped them. Noting on
 * every failure (the handler cannot know which attempt is the last) is idempotent.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  const deliver = createDelivery(deps);

  async function handle(record: DynamoDBRecord): Promise<void> {
    if (matchesMailFilter(record)) await deliver(toAuditEvent(record));
    else if (matchesKeyUsageFilter(record) && deps.stillInUse) await deps.stillInUse(record);
  }

  async function note(records: DynamoDBRecord[]): Promise<void> {
    if (!deps.undelivered) return;
    const entries = records.filter(matchesMailFilter).flatMap((record) => undeliveredRecord(record) ?? []);
    try {
      await deps.undelivered.note(entries, deps.clock.now());
    } catch (error) {
      logger.error('undelivered records not noted; redrive will not find this batch', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  return async (streamEvent) => {
    for (const [index, record] of streamEvent.Records.entries()) {
      try {
        await handle(record);
      } catch (error) {
        const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
        logger.error('admin email not delivered; the record will be retried', {
          sequence_number: sequenceNumber,
          undeliverable: error instanceof UndeliverableRecord,
          error: error instanceof Error ? error.message : String(error),
        });
        await note(streamEvent.Records.slice(index));
        return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
      }
    }
    return { batchItemFailures: [] };
  };
}
