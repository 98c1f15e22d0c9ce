/**
 * Which audit events have had their email sent, so a redelivered stream record sends nothing
 * twice (API.md §5).
 *
 * A claim is taken before sending and becomes `sent` after; a failed send releases it, and a claim
 * left behind by a process that died mid-send lapses after its lease, so the event is retried
 * rather than lost. The only window for a duplicate is a crash between SES accepting the message
 * and the claim being marked sent, which no sender can close without SES taking an idempotency key.
 */
export type ClaimResult =
  | { status: 'claimed'; token: string }
  /** Already delivered: nothing to do. */
  | { status: 'sent' }
  /** Another delivery of the same event holds a live claim: retry later. */
  | { status: 'in_progress' };

export interface DeliveryLedger {
  claim(eventId: string, now: Date): Promise<ClaimResult>;
  markSent(eventId: string, now: Date): Promise<void>;
  /** Gives the claim up after a failed send so the retry can take it at once. */
  release(eventId: string, token: string): Promise<void>;
}
