import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import type { AuditEvent } from '../domain/audit-event';
import type { Clock } from '../domain/clock';
import type { KeyStore, Mailer } from '../domain/ports';
import { logger } from '../runtime/logger';
import type { DeliveryLedger } from './delivery-ledger';
import { isMailedEventType, type MailedEventType, renderEmail } from './render';
import type { StillInUseWatcher } from './still-in-use-watcher';
import { matchesKeyUsageFilter, matchesMailFilter } from './stream-filter';

export interface NotifierDeps {
  store: Pick<KeyStore, 'getOrganization' | 'listMembers'>;
  mailer: Mailer;
  ledger: DeliveryLedger;
  clock: Clock;
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
  actor: z.union([z.object({ type: z.literal('user'), email: z.string() }), z.object({ type: z.literal('system') })]),
  api_key_id: z.string(),
  details: z.record(z.string(), z.unknown()).default({}),
});

/** Thrown for a record that can never be mailed; it goes to the DLQ rather than blocking the shard forever. */
class UndeliverableRecord extends Error {}

function toAuditEvent(record: DynamoDBRecord): AuditEvent & { type: MailedEventType } {
  // aws-lambda's AttributeValue mirrors the SDK's wire shape; the types differ only nominally.
  const image = unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>);
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

/**
 * The notifier (API.md §5, DESIGN.md "Notifications"): consumes the table's stream, where every
 * audit event arrives because it was written in its change's transaction (the outbox), and mails
 * the organization's admins once per event.
 *
 * Records are handled in order; at the first failure the handler stops and reports that record.
 * For a stream, Lambda resumes from the lowest reported sequence number, so the records after it
 * come again anyway, and the ledger makes the ones already sent no-ops.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  async function handle(record: DynamoDBRecord): Promise<void> {
    if (matchesMailFilter(record)) await deliver(record);
    else if (matchesKeyUsageFilter(record) && deps.stillInUse) await deps.stillInUse(record);
  }

  async function deliver(record: DynamoDBRecord): Promise<void> {
    const event = toAuditEvent(record);
    const context = { event_id: event.id, event_type: event.type, organization_id: event.organizationId, api_key_id: event.apiKeyId };

    const claim = await deps.ledger.claim(event.id, deps.clock.now());
    if (claim.status === 'sent') {
      logger.info('email already sent for this event', context);
      return;
    }
    if (claim.status === 'in_progress') throw new Error(`delivery of event ${event.id} is in progress elsewhere`);

    try {
      const [organization, members] = await Promise.all([
        deps.store.getOrganization(event.organizationId),
        deps.store.listMembers(event.organizationId),
      ]);
      const admins = members.filter((member) => member.role === 'admin').map((member) => member.email);
      if (admins.length === 0) {
        logger.warn('no admin to notify', context);
      } else {
        const email = renderEmail(event, organization ?? { id: event.organizationId, name: event.organizationId });
        await deps.mailer.send({ bcc: admins, ...email });
        logger.info('admin email sent', { ...context, recipients: admins.length });
      }
    } catch (error) {
      await deps.ledger.release(event.id, claim.token);
      throw error;
    }
    await deps.ledger.markSent(event.id, deps.clock.now());
  }

  return async (streamEvent) => {
    for (const record of streamEvent.Records) {
      try {
        await handle(record);
      } catch (error) {
        const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
        logger.error('admin email not delivered; the record will be retried', {
          sequence_number: sequenceNumber,
          undeliverable: error instanceof UndeliverableRecord,
          error: error instanceof Error ? error.message : String(error),
        });
        return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
      }
    }
    return { batchItemFailures: [] };
  };
}
