import type { ItemKey } from '../table/layout';

/**
 * Where the notifier notes each mailed stream record it failed on, with the key of its audit
 * event. The notifier's failure queue only holds stream pointers (stream ARN, first and last
 * sequence number of the batch) and the stream drops records after 24 hours; this log turns a
 * pointer back into audit events that `keyward notifications redrive` re-reads from the table.
 */
export interface UndeliveredRecord {
  streamArn: string;
  sequenceNumber: string;
  /** The audit event item's primary key. */
  event: ItemKey;
}

export interface UndeliveredLog {
  /** Idempotent: noting the same record again (a retry failing again) changes nothing. */
  note(records: UndeliveredRecord[], now: Date): Promise<void>;
  /** The records noted for `streamArn` between two sequence numbers, both included. */
  find(streamArn: string, firstSequenceNumber: string, lastSequenceNumber: string): Promise<UndeliveredRecord[]>;
}
