import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { type AccessLogLine, parseAccessLine } from '../lambdas/observability/access-log-fields';
import { startPollLoop } from './poll-loop';
import type { Stoppable } from './stop-stack';

/**
 * The stand-in for the CloudWatch Logs subscription behind the usage counts (API.md §9): the
 * gateway appends each protected-API request's access line to `access-log.jsonl` (the log
 * group); every second this shipper cuts the lines it has not shipped into a batch, spools the
 * batch as CloudWatch Logs' payload (`awslogs.data`, gzip + base64, event ids from the lines'
 * offsets), moves its checkpoint, and invokes the real aggregator handler with it, as Lambda's
 * asynchronous invocation would: a failed batch stays spooled and is delivered again (Lambda's
 * retries) until it has failed `maxAttempts` times, then lands in `usage-dead-letter.jsonl`
 * (the on-failure queue). Delivered batches are kept in `usage-batches/delivered/`; a copy put
 * back into `usage-batches/pending/` is delivered again, as a redelivery would be, and counts
 * nothing (the aggregator's batch markers).
 */

export const ACCESS_LOG_FILE = 'access-log.jsonl';
export const USAGE_DEAD_LETTER_FILE = 'usage-dead-letter.jsonl';
const CHECKPOINT_FILE = 'access-log-checkpoint.json';
const BATCHES_DIR = 'usage-batches';

/** CloudWatch Logs' own limits on one delivery: 10,000 events, about 1 MB. */
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_000_000;
/** The log group and stream the batches name (the aggregator only hashes them into the batch id). */
export const LOCAL_ACCESS_LOG_GROUP = 'keyward-local-example-access-logs';
const LOCAL_ACCESS_LOG_STREAM = 'gateway';
/** Delivered batches kept for a redelivery by hand. */
const KEEP_DELIVERED = 100;

export const pendingDir = (stateDir: string): string => join(stateDir, BATCHES_DIR, 'pending');
export const deliveredDir = (stateDir: string): string => join(stateDir, BATCHES_DIR, 'delivered');

export interface UsageShipper extends Stoppable {
  /** Appends one access line to the log (called by the gateway for each protected-API request). */
  append(line: AccessLogLine | string): void;
  /** Ships and delivers what is there now (the loop does it every `intervalMs`). */
  flush(): Promise<void>;
}

export function startUsageShipper(options: {
  stateDir: string;
  handler: (event: CloudWatchLogsEvent) => Promise<unknown>;
  log: (line: string) => void;
  /** @default 1000 */
  intervalMs?: number;
  /** Deliveries of one batch before it is dead-lettered (Lambda: the first and 2 retries). @default 3 */
  maxAttempts?: number;
}): UsageShipper {
  const { stateDir } = options;
  const logFile = join(stateDir, ACCESS_LOG_FILE);
  const checkpointFile = join(stateDir, CHECKPOINT_FILE);
  mkdirSync(pendingDir(stateDir), { recursive: true });
  mkdirSync(deliveredDir(stateDir), { recursive: true });
  const attempts = new Map<string, number>();
  const maxAttempts = options.maxAttempts ?? 3;

  const readCheckpoint = (): number => {
    try {
      const { offset } = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { offset?: unknown };
      return typeof offset === 'number' && offset >= 0 ? offset : 0;
    } catch {
      return 0;
    }
  };
  const writeAtomically = (file: string, contents: string): void => {
    writeFileSync(`${file}.tmp`, contents);
    renameSync(`${file}.tmp`, file);
  };

  /** The complete lines after the checkpoint, cut into batches, each spooled before the checkpoint moves past it. */
  function spoolNewLines(): void {
    if (!existsSync(logFile)) return;
    let offset = readCheckpoint();
    const size = statSync(logFile).size;
    if (offset > size) offset = 0; // the log was wiped
    if (offset === size) return;
    const fd = openSync(logFile, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    let events: { id: string; timestamp: number; message: string }[] = [];
    let bytes = 0;
    let batchStart = offset;
    let position = offset;
    const spool = (): void => {
      if (events.length === 0) return;
      const data = {
        messageType: 'DATA_MESSAGE',
        owner: 'local',
        logGroup: LOCAL_ACCESS_LOG_GROUP,
        logStream: LOCAL_ACCESS_LOG_STREAM,
        subscriptionFilters: ['usage'],
        logEvents: events,
      };
      const payload: CloudWatchLogsEvent = { awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } };
      writeAtomically(join(pendingDir(stateDir), `${String(batchStart).padStart(16, '0')}.json`), JSON.stringify(payload));
      writeAtomically(checkpointFile, JSON.stringify({ offset: position }));
      events = [];
      bytes = 0;
      batchStart = position;
    };
    for (const line of complete.split('\n').slice(0, -1)) {
      const lineBytes = Buffer.byteLength(line) + 1;
      if (line.trim() !== '') {
        // The request's time when the line has it (full format); else now, as CloudWatch Logs
        // stamps a lean line when API Gateway writes it. Not an access line: shipped as it is, as
        // CloudWatch Logs would; the aggregator skips it.
        let timestamp = Date.now();
        const epoch = Number(parseAccessLine(line)?.request_time_epoch);
        if (Number.isFinite(epoch) && epoch > 0) timestamp = epoch;
        events.push({ id: String(position).padStart(24, '0'), timestamp, message: line });
        bytes += lineBytes;
      }
      position += lineBytes;
      if (events.length >= MAX_BATCH_EVENTS || bytes >= MAX_BATCH_BYTES) spool();
    }
    spool();
    if (position > readCheckpoint()) writeAtomically(checkpointFile, JSON.stringify({ offset: position }));
  }

  /** Every spooled batch, oldest first: delivered, retried later, or dead-lettered. */
  async function deliverPending(): Promise<void> {
    for (const name of readdirSync(pendingDir(stateDir))
      .filter((file) => file.endsWith('.json'))
      .sort()) {
      const file = join(pendingDir(stateDir), name);
      let payload: CloudWatchLogsEvent;
      try {
        payload = JSON.parse(readFileSync(file, 'utf8')) as CloudWatchLogsEvent;
      } catch (error) {
        options.log(`usage: unreadable batch ${name} dead-lettered: ${error instanceof Error ? error.message : String(error)}`);
        appendFileSync(join(stateDir, USAGE_DEAD_LETTER_FILE), `${JSON.stringify({ batch: name, error: 'unreadable' })}\n`);
        rmSync(file, { force: true });
        continue;
      }
      try {
        await options.handler(payload);
        attempts.delete(name);
        renameSync(file, join(deliveredDir(stateDir), name));
      } catch (error) {
        const made = (attempts.get(name) ?? 0) + 1;
        const reason = error instanceof Error ? error.message : String(error);
        if (made < maxAttempts) {
          attempts.set(name, made);
          options.log(`usage: batch ${name} failed (attempt ${made} of ${maxAttempts}), retried: ${reason}`);
          // The rest waits: batches are delivered in order, as one log stream's are.
          return;
        }
        attempts.delete(name);
        options.log(`usage: batch ${name} failed ${made} times, dead-lettered to ${USAGE_DEAD_LETTER_FILE}: ${reason}`);
        appendFileSync(
          join(stateDir, USAGE_DEAD_LETTER_FILE),
          `${JSON.stringify({ batch: name, failed_at: new Date().toISOString(), error: reason, event: payload })}\n`,
        );
        rmSync(file, { force: true });
      }
    }
    const delivered = readdirSync(deliveredDir(stateDir)).sort();
    for (const old of delivered.slice(0, Math.max(0, delivered.length - KEEP_DELIVERED)))
      rmSync(join(deliveredDir(stateDir), old), { force: true });
  }

  let flushing: Promise<void> = Promise.resolve();
  // One flush at a time (the loop's and a caller's), each after the previous one, failed or not.
  const flush = (): Promise<void> => {
    const next = flushing
      .catch(() => undefined)
      .then(async () => {
        spoolNewLines();
        await deliverPending();
      });
    flushing = next;
    return next;
  };

  const loop = startPollLoop({
    intervalMs: options.intervalMs ?? 1000,
    pass: () => flush(),
    onError: (error) => options.log(`usage shipper: ${error instanceof Error ? error.message : String(error)}`),
  });

  return {
    append: (line) => appendFileSync(logFile, `${typeof line === 'string' ? line : JSON.stringify(line)}\n`),
    flush,
    stop: () => loop.stop(),
  };
}
