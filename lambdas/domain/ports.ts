import type { HotKey, KeyChanges, StoredApiKey } from './api-key';
import type { AuditEvent } from './audit-event';
import type { SettingsChanges, VersionedSettings } from './expiry';
import type { LeakRecord } from './leak';
import type { UsageBucket, UsageIncrement, UsageQuery } from './usage';

/**
 * The ports runtime code depends on (DESIGN.md "Ports and adapters"). Adapters live in
 * `lambdas/adapters/`; handlers and services never see a concrete AWS client.
 */

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

export type Role = 'admin' | 'member';

export interface Member {
  organizationId: string;
  /** Lower-cased. */
  email: string;
  role: Role;
}

/** An organization as one of its members sees it (`GET /v1/me`). */
export interface Membership {
  organizationId: string;
  organizationName: string;
  role: Role;
}

export interface PageRequest {
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Thrown by a store when the item changed since it was read (or a concurrent transaction held it),
 * so nothing was written; the caller re-reads and retries (`retryOnConflict`).
 */
export class StaleState extends Error {
  constructor(message = 'the item changed since it was read') {
    super(message);
    this.name = 'StaleState';
  }
}

/**
 * Persistence of organizations, members, keys and audit events. Every method that changes more
 * than one item does it in one transaction, with conditions that keep the invariants (at most 100
 * keys, never zero non-expiring keys, no double rotation) under concurrency, and writes the given
 * audit event in that same transaction.
 */
export interface KeyStore {
  getOrganization(organizationId: string): Promise<Organization | undefined>;
  getMember(organizationId: string, email: string): Promise<Member | undefined>;
  listMembers(organizationId: string): Promise<Member[]>;
  /** The organizations `email` (lower-cased) is a member of, by organization id; strongly consistent. */
  listMemberships(email: string): Promise<Membership[]>;
  /**
   * Creates the organization, its members and first key, in one transaction (at most
   * MAX_ADMINS_AT_CREATION members). Throws OrganizationAlreadyExists.
   */
  createOrganization(input: { organization: Organization; members: Member[]; firstKey: StoredApiKey; event: AuditEvent }): Promise<void>;
  /** Adds or updates a member. Throws OrganizationNotFound, LastAdmin (demoting the last admin). */
  putMember(member: Member): Promise<void>;
  /** Returns false when there was no such member. Throws LastAdmin. */
  removeMember(organizationId: string, email: string): Promise<boolean>;

  /** Keys oldest first. Throws ValidationFailed({cursor}) for a cursor it did not issue. */
  listKeys(organizationId: string, page: PageRequest): Promise<Page<StoredApiKey>>;
  /** Strongly consistent. */
  getKey(organizationId: string, apiKeyId: string): Promise<StoredApiKey | undefined>;
  /** The authorizer's single strongly consistent read. */
  findByHash(tokenHash: string): Promise<HotKey | undefined>;
  /**
   * Sets `last_used_at` on the key's hot item (where the management reads take it from) unless it was already set at or after
   * `staleBefore`. Returns whether it wrote. Never throws for a key that vanished meanwhile.
   */
  recordUsage(key: HotKey, at: Date, staleBefore: Date): Promise<boolean>;

  /** How many keys the organization holds (keys pending retirement included); undefined when it does not exist. */
  keyCount(organizationId: string): Promise<number | undefined>;
  /** Throws ApiKeyLimitReached, OrganizationNotFound. */
  createKey(key: StoredApiKey, event: AuditEvent): Promise<void>;

  /*
   * Every change below is conditioned on `version` of the key as the caller read it, adds one to
   * it on both items, and throws StaleState (writing nothing) when the key changed or vanished.
   * updateKey and rotateKey are also conditioned on the key being changeable until `landsBy` (the
   * caller's instant plus the time a write may take to land, an ISO string as toISOString writes
   * it, see CHANGE_LANDING_MARGIN_MS): not expired by then, and not the old key of a pending
   * rotation (StaleState when it is: the caller's fresh read says which).
   */

  /**
   * Sets only the named fields (both items for permissions and expiry). An expiry that makes the
   * key count as expiring is conditioned on another non-expiring key remaining (throws
   * LastNonExpiringApiKey); one that ends resets the reminders sent. Returns the key as it is now.
   */
  updateKey(input: { key: StoredApiKey; changes: KeyChanges; event: AuditEvent; landsBy: string }): Promise<StoredApiKey>;
  /**
   * Instant (`expiresAt` null): removes `old` (both items) and adds `next`.
   * Scheduled: sets `expiresAt` on `old` (both items) and its `retirementJobId`, and adds `next`.
   * Throws ApiKeyLimitReached when a scheduled rotation would exceed the limit.
   */
  rotateKey(input: {
    old: StoredApiKey;
    next: StoredApiKey;
    expiresAt: string | null;
    retirementJobId: string | null;
    /** The reminder marks scheduled for the old key's pending expiry. */
    reminderMarks?: readonly number[];
    event: AuditEvent;
    landsBy: string;
    /** A rotation because the key leaked: records it in the same transaction (throws LeakAlreadyRecorded). */
    leak?: LeakRecord;
  }): Promise<void>;
  /** Throws LastNonExpiringApiKey. */
  deleteKey(key: StoredApiKey, event: AuditEvent): Promise<void>;
  /**
   * Removes a key pending expiry `key.expiresAt`, with its `api_key.retired` or `api_key.expired`
   * event; or, given `leak`, at once because it leaked, recording the leak in the same transaction
   * (throws LeakAlreadyRecorded).
   */
  retireKey(key: StoredApiKey, event: AuditEvent, leak?: LeakRecord): Promise<void>;

  /** The record of a token's leak (API.md §10), by the token's hash; strongly consistent. */
  findLeak(tokenHash: string): Promise<LeakRecord | undefined>;
  /** Records a leak that changes no key (`notify`) with its event, in one transaction. Throws LeakAlreadyRecorded. */
  recordLeak(leak: LeakRecord, event: AuditEvent): Promise<void>;

  /**
   * Marks the key as warned "still in use" for `expiresAt` and writes the warning's event, in one
   * transaction, only while the key exists with exactly that pending expiry and has not been
   * warned for it. Returns whether it wrote (false: already warned, expiry moved, key gone).
   */
  recordStillInUse(input: { organizationId: string; apiKeyId: string; expiresAt: string; event: AuditEvent }): Promise<boolean>;

  /**
   * Sets or clears the key's own expiry (`changes.expiry` of updateKey does it with the other
   * fields); here only the reminder's exactly-once record: marks `markDays` as reminded for the
   * key's current `expiresAt` and writes its event, in one transaction conditioned on the key still
   * expiring at `expiresAt` and the mark not yet reminded. Returns false (writing nothing) otherwise.
   */
  recordReminder(input: { key: StoredApiKey; expiresAt: string; markDays: number; event: AuditEvent }): Promise<boolean>;

  /** The organization's key policy (defaults where unset) and its version; undefined when it does not exist. Strongly consistent. */
  getSettings(organizationId: string): Promise<VersionedSettings | undefined>;
  /**
   * Writes only the named fields of the policy and its event, in one transaction conditioned on the
   * settings still being at `version` (as the caller read them); returns the new version. Throws
   * StaleState (nothing written) when they changed since, OrganizationNotFound when it is gone.
   */
  updateSettings(input: { organizationId: string; version: number; changes: SettingsChanges; event: AuditEvent }): Promise<number>;
  /** The plan named on the organization item: null when none (the default plan), undefined when there is no organization (API.md §9). */
  getPlan(organizationId: string): Promise<string | null | undefined>;
  /**
   * Puts the organization on `plan`, with its audit event, in one transaction conditioned on the
   * stored plan still being `expected` (as `getPlan` read it; null: none stored). Throws StaleState
   * (nothing written) when it changed since, OrganizationNotFound when there is none.
   */
  putPlan(organizationId: string, plan: string, event: AuditEvent, expected: string | null): Promise<void>;
  /** The organization's usage identifier (API.md §9); undefined when it has none (or does not exist). */
  getUsageIdentifier(organizationId: string): Promise<UsageIdentifier | undefined>;
  /**
   * Records the organization's usage identifier on its item and on the hot item of every key it
   * has, so the authorizer names it from then on. Idempotent (the upgrade backfill runs it again).
   * Throws OrganizationNotFound.
   */
  setUsageIdentifier(organizationId: string, identifier: UsageIdentifier): Promise<void>;
  /** Requests counted against the organization's quota in the window starting at `windowStart` (the local gateway's counter). */
  quotaUsed(organizationId: string, windowStart: Date): Promise<number>;
  /** Counts one request in the window, unless `limit` are counted already; false when over. */
  countQuota(organizationId: string, windowStart: Date, limit: number): Promise<boolean>;

  appendAuditEvent(event: AuditEvent): Promise<void>;
  /** Newest first. */
  listAuditEvents(organizationId: string, page: PageRequest): Promise<Page<AuditEvent>>;

  /** The usage counters of an organization's buckets starting in `[from, to)`, oldest first (API.md §9). */
  listUsage(organizationId: string, query: UsageQuery): Promise<UsageBucket[]>;
}

/**
 * What adding one log batch's sums did: raw chunks written (per hour, up to 49 keys each), chunks
 * found written before (a redelivery), and of those written, the late ones (added to the counters at once).
 */
export interface UsageBatchResult {
  chunks: number;
  duplicates: number;
  late: number;
}

/**
 * The usage store (API.md §9): the aggregator adds a batch's sums exactly once per batch id; the
 * API reads the counters with the hours not rolled yet (domain/usage-rollup.ts).
 */
export interface UsageCounterStore {
  add(batchId: string, increments: readonly UsageIncrement[]): Promise<UsageBatchResult>;
  list(organizationId: string, query: UsageQuery): Promise<UsageBucket[]>;
}

/** What rolling one hour did: raw tallies read, keys summed, counters added to, and counters that had the hour already. */
export interface UsageRollupResult {
  tallies: number;
  keys: number;
  added: number;
  alreadyRolled: number;
}

/** What the usage rollup needs: the hours not rolled, rolling one, and marking it rolled (last). */
export interface UsageRollupStore {
  /** Those of `hours` (ISO starts, ascending) the rollup has not marked rolled. */
  unrolledHours(hours: readonly string[]): Promise<string[]>;
  rollUp(hour: string): Promise<UsageRollupResult>;
  markRolled(hour: string, keys: number): Promise<void>;
}

/**
 * An organization's usage identifier (API.md §9): an API Gateway API key nobody ever sees. `value`
 * is what the authorizer names as `usageIdentifierKey`; `id` is the API key's id, which usage
 * plans are given.
 */
export interface UsageIdentifier {
  id: string;
  value: string;
}

/**
 * Where usage identifiers live: API Gateway (adapters/api-gateway-usage-identifiers.ts). Locally
 * there is none: the local gateway enforces the plans itself.
 */
export interface UsageIdentifiers {
  /** Creates the organization's identifier (or finds the one an interrupted run created) in `plan`'s usage plan. */
  create(organizationId: string, plan: string): Promise<UsageIdentifier>;
  /**
   * Puts it in `to`'s usage plan and in no other usage plan of the deployment, whichever it was in
   * (an interrupted or concurrent move may have left it anywhere); idempotent.
   */
  move(identifier: UsageIdentifier, to: string): Promise<void>;
}

/**
 * How many requests an organization's quota has counted in the current window (API.md §9
 * `quota_used`): API Gateway's usage plans in AWS (adapters/api-gateway-quota-usage.ts), the local
 * gateway's counters in the table locally (`KeyStore.quotaUsed`, the default). Throws when the
 * source cannot be read; the settings then say null (service/settings-service.ts).
 */
export interface QuotaUsage {
  /**
   * Requests counted for the organization on `plan` from `windowStart` (the window's first UTC
   * day, `quotaWindowStart`) to `at`; null when it cannot be told apart from other organizations'
   * (in AWS, one without a usage identifier of its own, before `keyward migrate`).
   */
  used(organizationId: string, plan: string, windowStart: Date, at: Date): Promise<number | null>;
}

/**
 * What the api-key authorizer reads and writes: the hot item and the key's usage stamp. Served on
 * the hot path by a thin adapter (adapters/dynamodb-http/) rather than the whole store, for cold start.
 */
export type HotKeyStore = Pick<KeyStore, 'findByHash' | 'recordUsage'>;

/** Encryption context binding a ciphertext to its key record. */
export interface SecretContext {
  organization_id: string;
  api_key_id: string;
}

/** Encrypts tokens at rest so Reveal works: KMS in AWS, an AES-256-GCM master key locally. */
export interface SecretBox {
  encrypt(plaintext: string, context: SecretContext): Promise<string>;
  decrypt(ciphertext: string, context: SecretContext): Promise<string>;
}

export interface RetirementJob {
  organizationId: string;
  apiKeyId: string;
  /** ISO instant: the job retires the key only if the key is still pending exactly this expiry. */
  expiresAt: string;
  /**
   * Unique per rotation request, so a request can only ever remove the job it created itself,
   * never the job of a concurrent request that committed. Absent for jobs from before jobs had ids.
   */
  id?: string;
}

/** The reminder `markDays` days before a key's `expiresAt` (API.md §8 Reminders). */
export interface ReminderJob extends RetirementJob {
  /** The id of the expiry's jobs (the key's `retirementJobId`). */
  id: string;
  markDays: number;
}

/**
 * The key lifecycle's one-shot jobs (DESIGN.md "Lifecycle jobs"): retirement at a key's expiry,
 * and the reminders before it. Idempotent per job; each job's handler re-reads the key and does
 * nothing when the key no longer matches the job.
 */
export interface RetirementScheduler {
  scheduleRetirement(job: RetirementJob): Promise<void>;
  /** Removes the job; a job that is already gone (it ran, or was never created) is no error. */
  cancelRetirement(job: RetirementJob): Promise<void>;
  /** Creates the reminder's job, unless its time is no longer ahead (then nothing, and false). */
  scheduleReminder(job: ReminderJob): Promise<boolean>;
  /** Removes the reminder's job; one that is gone or was never created is no error. */
  cancelReminder(job: ReminderJob): Promise<void>;
}

/**
 * Checks a secret-scanning report's signature (API.md §10) against the signer's published keys.
 * Throws InvalidSignature (missing, malformed, unknown key, wrong) or SignatureKeysUnavailable.
 */
export interface SignatureVerifier {
  verify(body: Buffer, keyIdentifier: string | undefined, signature: string | undefined): Promise<void>;
}

export interface OutgoingEmail {
  /** Every recipient goes in BCC so admins do not see each other's addresses; at most the mailer's `maxRecipients`. */
  bcc: string[];
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** How many recipients one message may have: the caller sends a longer list as several messages. */
  readonly maxRecipients: number;
  /** Throws `EmailRejected` when the email can never be sent as it is; anything else thrown may pass on a retry. */
  send(email: OutgoingEmail): Promise<void>;
}

/**
 * The mail service refused the email for good, e.g. SES in its sandbox for a recipient that is
 * not verified: sending it again changes nothing until an operator acts. `code` is the service's
 * error name (e.g. `MessageRejected`).
 */
export class EmailRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EmailRejected';
  }
}

/**
 * A message of the notifier's failure queue: the on-failure record the event-source mapping
 * writes for a stream batch whose retries ran out (its `DDBStreamBatchInfo`), a pointer only.
 */
export interface FailedBatch {
  /** Whatever the queue needs to settle the message. */
  handle: string;
  streamArn: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
}

export interface FailureQueue {
  /** Every message in the queue now, each hidden from other readers while this redrive works on it. */
  receiveAll(): Promise<{ batches: FailedBatch[]; unreadable: string[] }>;
  /** The message's events are all delivered: it is done. */
  delete(handle: string): Promise<void>;
  /** Not done: visible again at once, for the next redrive. */
  release(handle: string): Promise<void>;
}
