/**
 * Which audit events have had their email sent, so a redelivered stream record sends nothing
 * twice (API.md §5).
 *
 * A claim is taken before sending and becomes `sent` after; a failed send releases it, and a claim
 * left behind by a process that died mid-send lapses after its lease, so the event is retried
 * rather than lost. An email to more admins than one message takes goes out as several messages:
 * the ledger keeps the recipients each sent message reached, so a retry of the event mails only
 * the others. The only window for a duplicate is a crash between SES accepting a message and its
 * recipients being recorded, which no sender can close without SES taking an idempotency key.
 *
 * An email the mail service refused for good (`EmailRejected`, e.g. the SES sandbox) is recorded
 * as `failed` rather than released, so the record is not retried for nothing and the ledger says
 * why the admins got no email. A later delivery of the same event (a stream redelivery, an
 * operator's redrive once the cause is fixed) may claim a failed event again.
 */
export type ClaimResult =
  /** `reached`: the recipients an earlier attempt at this event already mailed (lower-case addresses). */
  | { status: 'claimed'; token: string; reached: ReadonlySet<string> }
  /** Already delivered: nothing to do. */
  | { status: 'sent' }
  /** Another delivery of the same event holds a live claim: retry later. */
  | { status: 'in_progress' };

export interface DeliveryLedger {
  claim(eventId: string, now: Date): Promise<ClaimResult>;
  /** Records that a message reached these recipients, so no later attempt at the event mails them again. */
  recordReached(eventId: string, recipients: readonly string[]): Promise<void>;
  markSent(eventId: string, now: Date): Promise<void>;
  /** Gives the claim up after a failed send so the retry can take it at once. */
  release(eventId: string, token: string): Promise<void>;
  /** Records that the email was refused for good (`reason`: the mail service's error code); only the claim's holder can. */
  markFailed(eventId: string, token: string, now: Date, reason: string): Promise<void>;
}
