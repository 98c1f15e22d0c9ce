import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import type { UsageCounterStore } from '../domain/ports';
import { type CountedFields, classifyAccessLine, tallyUsage, type UsageHit } from '../domain/usage';
import { parseAccessLine } from '../observability/access-log-fields';
import { logger } from '../observability/logger';

/** What one invocation did, for its log line, the tests and the bench. */
export interface AggregationSummary {
  /** The batch's id: the same batch delivered again has the same one. */
  batchId: string | null;
  /** Log events in the batch. */
  lines: number;
  /** Lines that were one key's request, and were counted (0 for a redelivered batch). */
  counted: number;
  /** Lines that were no key's request (401, refused before the authorizer) or not an access line. */
  skipped: number;
  /** Counters the batch's sums are for (hourly and daily): raw tallies until the rollup adds them. */
  counters: number;
  /** Raw tally chunks written (per hour, up to 49 keys each); late ones also added to the counters. */
  chunks: number;
  late: number;
  /** The batch (or chunks of it) had been counted before: nothing was added for them. */
  duplicate: boolean;
}

export type UsageAggregator = (event: CloudWatchLogsEvent) => Promise<AggregationSummary>;

/** The subscription payload's contents: `awslogs.data` is the gzipped JSON, base64-encoded. */
export function decodeLogsEvent(event: CloudWatchLogsEvent): CloudWatchLogsDecodedData {
  return JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as CloudWatchLogsDecodedData;
}

/** The payload CloudWatch Logs delivers to a subscribed function (the local log shipper builds the same). */
export function encodeLogsEvent(data: CloudWatchLogsDecodedData): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } };
}

/**
 * A batch's identity: its log group and stream and its events' ids, which CloudWatch Logs makes
 * unique. A redelivery (Lambda's retries of the same invocation) carries the same events.
 */
export function batchIdOf(data: CloudWatchLogsDecodedData): string {
  const hash = createHash('sha256');
  hash.update(`${data.logGroup}\n${data.logStream}\n`);
  for (const event of data.logEvents) hash.update(`${event.id}\n`);
  return hash.digest('base64url');
}

/** A lean (space-separated) or full (JSON) access line's fields (`observability/access-log-fields.ts`). */
function parseLine(message: string): CountedFields | undefined {
  return parseAccessLine(message) as CountedFields | undefined;
}

/**
 * The usage aggregator (API.md §9, DESIGN.md "Usage counts"): a CloudWatch Logs subscription on
 * the consumer API's access log invokes it asynchronously with a batch of lines; it sums them per
 * key and hour (allowed, denied per code, throttled) and puts the sums as raw tallies, one item
 * per hour and chunk, each only if absent, so a redelivered batch counts nothing; the usage
 * rollup adds them to the hourly and daily counters once the hour is closed (usage/rollup.ts).
 * Lines of an hour long closed are added to the counters at once (domain/usage-rollup.ts). A
 * failure (the table) throws: Lambda retries the same batch, then sends it to the function's
 * on-failure destination. Nothing in here is on the request path.
 */
export function createUsageAggregator(deps: { counters: UsageCounterStore }): UsageAggregator {
  return async (event) => {
    const data = decodeLogsEvent(event);
    // CloudWatch Logs checks that it can reach the destination with a CONTROL_MESSAGE: nothing to count.
    if (data.messageType !== 'DATA_MESSAGE') {
      return { batchId: null, lines: 0, counted: 0, skipped: 0, counters: 0, chunks: 0, late: 0, duplicate: false };
    }
    const hits: UsageHit[] = [];
    for (const logEvent of data.logEvents) {
      const line = parseLine(logEvent.message);
      const hit = line && classifyAccessLine(line, logEvent.timestamp);
      if (hit) hits.push(hit);
    }
    const batchId = batchIdOf(data);
    const increments = tallyUsage(hits);
    const result = increments.length > 0 ? await deps.counters.add(batchId, increments) : { chunks: 0, duplicates: 0, late: 0 };
    const duplicate = result.duplicates > 0;
    const summary: AggregationSummary = {
      batchId,
      lines: data.logEvents.length,
      counted: duplicate && result.chunks === 0 ? 0 : hits.length,
      skipped: data.logEvents.length - hits.length,
      counters: increments.length,
      chunks: result.chunks,
      late: result.late,
      duplicate,
    };
    logger.info(duplicate ? 'usage batch already counted' : 'usage batch counted', {
      batch_id: batchId,
      log_group: data.logGroup,
      lines: summary.lines,
      counted: summary.counted,
      skipped: summary.skipped,
      counters: summary.counters,
      chunks: result.chunks,
      late_chunks: result.late,
      duplicate_chunks: result.duplicates,
    });
    return summary;
  };
}
