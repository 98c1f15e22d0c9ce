/**
 * The single table's layout (DESIGN.md "One DynamoDB table"), declared once. The store and the
 * delivery ledger build their item keys here; the CDK table (lib/constructs/keyward-table.ts) and
 * the local one (local/table.ts) take their key schema and TTL attribute from here; the
 * authorizer's IAM condition and the notifier's stream filter name attributes and prefixes from
 * here, and so does the event publisher's. Plain data, no AWS SDK, and importing nothing: a leaf
 * at the bottom of lambdas/ (STYLE.md rule 15) that lib/, local/ and every layer can import.
 *
 *   pk                  sk
 *   ORG#<org>           ORG               organization, with key_count, active_key_count, admin_count,
 *                                         and its settings with their own settings_version (their ETag)
 *   ORG#<org>           MEMBER#<email>    member (role admin|member)
 *   ORG#<org>           KEY#<id>          key as admins see it + token hash + encrypted token + version
 *   KEYHASH#<sha256>    KEYHASH           hot item: all the authorizer needs in one read (+ version),
 *                                         permissions as one string (adapters/dynamodb/hot-permissions.ts)
 *                                         so a default key's item stays within one write unit (1 KB)
 *   ORG#<org>           EVENT#<ulid>      audit event, and the outbox of the admin emails
 *   USER#<email>        MEMBERSHIP#<org>  a member item's inverse (organization name, role), so a
 *                                         caller's organizations are one strongly consistent Query;
 *                                         written in the member item's transaction, never a condition
 *   DELIVERY#<event>    DELIVERY          the notifier's claim on one event's email
 *   LEAK#<sha256>       LEAK              a token found in public was acted on (API.md §10): which key,
 *                                         what was done; outlives the key, never holds the token
 *   UNDELIVERED#<stream ARN>  <seq no.>   a mailed event the notifier failed on (its audit event's
 *                                         pk/sk), found by `keyward notifications redrive` from the
 *                                         failure queue's stream pointers once the stream has dropped it
 *   USAGE#<org>         H#<hour>#<key>    a key's request counters for one UTC hour (`allowed`, `throttled`,
 *   USAGE#<org>         D#<day>#<key>     `denied:<code>`), added by the usage rollup from the raw tallies (and
 *                                         by the aggregator for late lines), with `rolled_hours`: the hours
 *                                         of the day (0-23) rolled into it; hours expire after 35 days, days after 400 (TTL)
 *   USAGERAW#<hour>     <batch>#<chunk>   one access log batch's per-key sums for one hour (up to 49 keys a
 *                                         chunk), put only if absent so a redelivered batch counts nothing;
 *                                         `late` when the aggregator added it to the counters itself; 3 days (TTL)
 *   USAGEROLLUP         <hour>            the usage rollup rolled this hour's raw tallies into the counters
 *                                         (written last); readers take the hour from the counters
 *
 * `active_key_count` counts keys without a pending expiry: the "never zero" invariant is a
 * condition on it, so two concurrent deletes cannot both pass. Every change to a key is conditioned
 * on the key item's `version` as the caller read it and writes version + 1 to both items; the hot
 * item's copy is never a condition (the key item is the one source of truth), it lets the
 * authorizer's item say which version of the key it reflects. `last_used_at` changes no version.
 */

/** The table's partition key (a string). */
export const PARTITION_KEY = 'pk';
/** The table's sort key (a string). */
export const SORT_KEY = 'sk';
/** The table's TTL attribute (epoch seconds): hot items of expiring keys and delivery records expire by it. */
export const TTL_ATTRIBUTE = 'ttl';
/** A key's version (key item and hot item); absent on keys written before versions. */
export const VERSION_ATTRIBUTE = 'version';
/** The one attribute the authorizer writes, on the hot item only (the management reads take it from there). */
export const LAST_USED_AT_ATTRIBUTE = 'last_used_at';

/**
 * On a key item: the `expires_at` the "still in use" warning was given for (API.md §8). Once per
 * key and expiry: a moved expiry re-arms the warning without anyone clearing this. Changes no version.
 */
export const STILL_IN_USE_WARNED_FOR_ATTRIBUTE = 'still_in_use_warned_for';

/** Everything the authorizer's usage write names, key attributes included: its IAM grant allows exactly these. */
export const USAGE_WRITE_ATTRIBUTES = [PARTITION_KEY, SORT_KEY, LAST_USED_AT_ATTRIBUTE] as const;

/** The `entity` attribute of each kind of item (delivery records have none, so the stream filter skips them). */
export const ENTITY = {
  organization: 'organization',
  member: 'member',
  membership: 'membership',
  apiKey: 'api_key',
  hotKey: 'api_key_hash',
  auditEvent: 'audit_event',
  usage: 'usage',
  usageRaw: 'usage_raw',
  usageRollup: 'usage_rollup',
} as const;

/** The sort-key prefixes of what an organization's partition holds, for queries and cursors. */
export const SORT_KEY_PREFIX = {
  member: 'MEMBER#',
  apiKey: 'KEY#',
  auditEvent: 'EVENT#',
} as const;

/** An item's primary key. */
export type ItemKey = Record<typeof PARTITION_KEY | typeof SORT_KEY, string>;

/** The partition of everything that belongs to one organization. */
export const organizationPartition = (organizationId: string): string => `ORG#${organizationId}`;

export const organizationKey = (organizationId: string): ItemKey => ({ pk: organizationPartition(organizationId), sk: 'ORG' });

export const memberKey = (organizationId: string, email: string): ItemKey => ({
  pk: organizationPartition(organizationId),
  sk: `${SORT_KEY_PREFIX.member}${email}`,
});

/** The partition of one person's memberships (email lower-cased), the inverse of their member items. */
export const userPartition = (email: string): string => `USER#${email}`;

/** The sort-key prefix of a user partition's membership items. */
export const MEMBERSHIP_PREFIX = 'MEMBERSHIP#';

export const membershipKey = (organizationId: string, email: string): ItemKey => ({
  pk: userPartition(email),
  sk: `${MEMBERSHIP_PREFIX}${organizationId}`,
});

export const apiKeyKey = (organizationId: string, apiKeyId: string): ItemKey => ({
  pk: organizationPartition(organizationId),
  sk: `${SORT_KEY_PREFIX.apiKey}${apiKeyId}`,
});

/** The hot item of a key, keyed by the SHA-256 of its token. */
/** The local gateway's quota counter of an organization for one window (API.md §9), kept until the TTL removes it. */
export const quotaCounterKey = (organizationId: string, windowStart: string): ItemKey => ({
  pk: organizationPartition(organizationId),
  sk: `QUOTA#${windowStart}`,
});

export const hotKeyKey = (tokenHash: string): ItemKey => ({ pk: `KEYHASH#${tokenHash}`, sk: 'KEYHASH' });

export const auditEventKey = (organizationId: string, eventId: string): ItemKey => ({
  pk: organizationPartition(organizationId),
  sk: `${SORT_KEY_PREFIX.auditEvent}${eventId}`,
});

/** The once-only record of a leaked token's report, keyed like the token's hot item. */
export const leakKey = (tokenHash: string): ItemKey => ({ pk: `LEAK#${tokenHash}`, sk: 'LEAK' });

export const deliveryKey = (eventId: string): ItemKey => ({ pk: `DELIVERY#${eventId}`, sk: 'DELIVERY' });

/** Stream sequence numbers are decimal strings of up to 40 digits: padded, they sort as numbers. */
const SEQUENCE_NUMBER_DIGITS = 40;

export const undeliveredPartition = (streamArn: string): string => `UNDELIVERED#${streamArn}`;

export const undeliveredSortKey = (sequenceNumber: string): string => sequenceNumber.padStart(SEQUENCE_NUMBER_DIGITS, '0');

export const undeliveredKey = (streamArn: string, sequenceNumber: string): ItemKey => ({
  pk: undeliveredPartition(streamArn),
  sk: undeliveredSortKey(sequenceNumber),
});

/** The usage counters' own partitions: the aggregator's and the rollup's grants are limited to them (`dynamodb:LeadingKeys`). */
export const USAGE_PARTITION_PREFIX = 'USAGE#';
export const USAGE_RAW_PARTITION_PREFIX = 'USAGERAW#';
export const USAGE_ROLLUP_PARTITION = 'USAGEROLLUP';

/** Sort-key prefixes of the hourly and daily counters in an organization's usage partition. */
export const USAGE_SORT_KEY_PREFIX = { hour: 'H#', day: 'D#' } as const;

/** How long counters are kept (API.md §9): hourly buckets 35 days, daily buckets 400 days. */
export const USAGE_RETENTION_DAYS = { hour: 35, day: 400 } as const;

/**
 * How long a raw tally (and an hour's rollup marker) is kept after its hour or its write, whichever
 * is later: longer than Lambda's 6 h maximum event age, so every redelivery finds it, and long
 * enough for the rollup to catch up after an outage of two days.
 */
export const USAGE_RAW_DAYS = 3;

/**
 * The counter attributes: `allowed`, `throttled`, one `denied:<code>` per denial code, and
 * `rolled_hours`, the number set of the hours of the day (0-23) the rollup has added.
 */
export const USAGE_COUNTER = { allowed: 'allowed', throttled: 'throttled', deniedPrefix: 'denied:', rolledHours: 'rolled_hours' } as const;

export const usagePartition = (organizationId: string): string => `${USAGE_PARTITION_PREFIX}${organizationId}`;

/** A counter's sort key: the bucket's ISO start sorts as time, so a range of buckets is one Query. */
export const usageSortKey = (granularity: 'hour' | 'day', start: string, apiKeyId: string): string =>
  `${USAGE_SORT_KEY_PREFIX[granularity]}${start}#${apiKeyId}`;

export const usageCounterKey = (organizationId: string, granularity: 'hour' | 'day', start: string, apiKeyId: string): ItemKey => ({
  pk: usagePartition(organizationId),
  sk: usageSortKey(granularity, start, apiKeyId),
});

/** One batch's tally chunk for one hour (`hour` its ISO start). */
export const usageRawPartition = (hour: string): string => `${USAGE_RAW_PARTITION_PREFIX}${hour}`;
export const usageRawKey = (hour: string, batchId: string, chunk: number): ItemKey => ({
  pk: usageRawPartition(hour),
  sk: `${batchId}#${chunk}`,
});

/** The rollup's marker of one hour. */
export const usageRollupKey = (hour: string): ItemKey => ({ pk: USAGE_ROLLUP_PARTITION, sk: hour });
