import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DevIssuer, JWKS_PATH } from './dev-issuer';
import { type DynamoDbLocal, LOCAL_AWS, localClientConfig, migrateSharedDatabase, startDynamoDbLocal } from './dynamodb-local';
import { startPollLoop } from './poll-loop';
import { JOBS_DEAD_LETTER_FILE, startRetirementLoop } from './retirement-loop';
import { LOCAL_TABLE_NAME, loadOrCreateDynamoDbAccessKeyId, secureStateDir } from './state';
import type { Stoppable } from './stop-stack';
import { startStreamPoller } from './stream-poller';
import { ensureTable } from './table';
import { startUsageShipper, type UsageShipper } from './usage-shipper';

/**
 * The parts of the local stack that need more than one call to their own module, one function
 * each: what it takes, what it gives, and a stop handle for the parts that keep running.
 * stack.ts starts them in order.
 */

/** The sender of the admin emails in the local runtime (the SES emulator accepts any); redrive sends as it too. */
export const LOCAL_SENDER = 'keyward@keyward.local';

/** Pending retirement jobs: written by the rotate handler (and the CLI's rotate), run by the timer loop. */
export const scheduleDir = (stateDir: string): string => join(stateDir, 'schedules');

/**
 * Owner-only state (API.md §6): the directory and what earlier versions left in it are made
 * private, and the umask makes every file this process and its children create private too
 * (DynamoDB Local's, the scheduler's, the poller's), so no file is ever readable by others.
 * Returns the state directory's secret that opens DynamoDB Local's database.
 */
export function prepareStateDirectory(stateDir: string): { accessKeyId: string } {
  process.umask(0o077);
  secureStateDir(stateDir);
  return { accessKeyId: loadOrCreateDynamoDbAccessKeyId(stateDir) };
}

/** DynamoDB Local on the state directory's database, taking over an earlier version's shared one. */
export async function startLocalDynamoDb(options: {
  stateDir: string;
  port: number;
  accessKeyId: string;
  log: (line: string) => void;
}): Promise<DynamoDbLocal> {
  const dbPath = join(options.stateDir, 'dynamodb');
  if (migrateSharedDatabase(dbPath, options.accessKeyId)) {
    options.log("DynamoDB Local: an earlier version's shared database is now this state directory's own");
  }
  return startDynamoDbLocal({ port: options.port, dbPath, accessKeyId: options.accessKeyId });
}

/** The table, as the CDK stack defines it, unless it exists. */
export async function createLocalTable(endpoint: string, accessKeyId: string): Promise<void> {
  const client = new DynamoDBClient(localClientConfig(endpoint, accessKeyId));
  try {
    await ensureTable(client, LOCAL_TABLE_NAME);
  } finally {
    client.destroy();
  }
}

/**
 * The handlers' configuration (lambdas/config.ts), exactly as the CDK stack sets it on each
 * function, plus the region and credentials their SDK clients need in front of DynamoDB Local.
 * Set before any handler module is loaded: they read it when first imported.
 */
export function setHandlerEnvironment(options: {
  stateDir: string;
  dynamodbEndpoint: string;
  accessKeyId: string;
  masterKey: string;
  issuer: DevIssuer;
  sesEndpoint: string;
}): void {
  Object.assign(process.env, {
    TABLE_NAME: LOCAL_TABLE_NAME,
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    LOCAL_MASTER_KEY: options.masterKey,
    ADMIN_JWT_ISSUER: options.issuer.issuer,
    ADMIN_JWT_AUDIENCE: options.issuer.audience,
    ADMIN_JWKS_URL: `${options.issuer.issuer}${JWKS_PATH}`,
    // Where lifecycle jobs are recorded; the timer loop that runs them reads the same dir.
    LOCAL_SCHEDULE_DIR: scheduleDir(options.stateDir),
    // Test-only: KEYWARD_REMINDER_DAY_MS shortens a reminder "day" so marks fall seconds ahead (docs/running-locally.md).
    ...(process.env.KEYWARD_REMINDER_DAY_MS ? { LOCAL_REMINDER_DAY_MS: process.env.KEYWARD_REMINDER_DAY_MS } : {}),
    SES_ENDPOINT: options.sesEndpoint,
    SES_FROM_ADDRESS: LOCAL_SENDER,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: options.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    // No CloudWatch reads this process's stdout: EMF lines would only bury the gateway's log.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
}

/*
 * The stand-ins for the notifier's event-source mapping and for EventBridge Scheduler: both feed
 * the real handlers, imported only now because they read their configuration when loaded.
 */

/**
 * `KEYWARD_STILL_IN_USE_WINDOW_SECONDS`: shortens the "still in use" window (one hour, API.md §8)
 * so an end-to-end test can use a key inside it without waiting an hour. Local runtime only: the
 * deployed notifier has no such setting.
 */
export function stillInUseWindowMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.KEYWARD_STILL_IN_USE_WINDOW_SECONDS?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 3600) {
    throw new Error(`KEYWARD_STILL_IN_USE_WINDOW_SECONDS must be a whole number of seconds 1-3600, got "${raw}"`);
  }
  return Number(raw) * 1000;
}

export async function startNotifier(options: {
  stateDir: string;
  dynamodbEndpoint: string;
  accessKeyId: string;
  log: (line: string) => void;
}): Promise<Stoppable> {
  const { createNotifierHandler } = await import('../lambdas/notify-admins');
  return startStreamPoller({
    endpoint: options.dynamodbEndpoint,
    accessKeyId: options.accessKeyId,
    tableName: LOCAL_TABLE_NAME,
    handler: createNotifierHandler({ stillInUseWindowMs: stillInUseWindowMs() }),
    stateDir: options.stateDir,
    log: options.log,
  });
}

export async function startRetirements(options: { stateDir: string; log: (line: string) => void }): Promise<Stoppable> {
  const [{ handler }, { handler: remindHandler }] = await Promise.all([
    import('../lambdas/retire-api-key'),
    import('../lambdas/remind-api-key-expiry'),
  ]);
  return startRetirementLoop({
    dir: scheduleDir(options.stateDir),
    handler,
    remindHandler,
    deadLetterFile: join(options.stateDir, JOBS_DEAD_LETTER_FILE),
    log: options.log,
  });
}

/** Lifecycle events of the local runtime (API.md §8): EventBridge's envelope, one line per event. */
export const EVENTS_FILE = 'events.jsonl';

/**
 * The stand-in for the event publisher's event-source mapping and bus: a second stream poller,
 * with its own checkpoints and dead-letter file as the mapping has its own position and failure
 * queue, runs the same publisher into `.keyward/events.jsonl` instead of EventBridge.
 */
export async function startEventPublisher(options: {
  stateDir: string;
  dynamodbEndpoint: string;
  accessKeyId: string;
  log: (line: string) => void;
}): Promise<Stoppable> {
  const [{ createEventPublisher }, { JsonlEventBus }, { matchesAuditEventFilter }] = await Promise.all([
    import('../lambdas/events/publisher'),
    import('../lambdas/adapters/jsonl-event-bus'),
    import('../lambdas/events/stream-filter'),
  ]);
  return startStreamPoller({
    endpoint: options.dynamodbEndpoint,
    accessKeyId: options.accessKeyId,
    tableName: LOCAL_TABLE_NAME,
    handler: createEventPublisher({ bus: new JsonlEventBus(join(options.stateDir, EVENTS_FILE)) }),
    filter: matchesAuditEventFilter,
    stateDir: options.stateDir,
    checkpointFile: 'events-stream-checkpoints.json',
    deadLetterFile: 'events-dead-letter.jsonl',
    log: options.log,
  });
}

/** How often the local runtime runs the usage rollup (EventBridge runs it every 15 minutes in AWS). */
export const LOCAL_USAGE_ROLLUP_INTERVAL_MS = 60_000;

/**
 * The stand-in for the access log's subscription (API.md §9): the gateway's access lines, shipped
 * in batches to the real usage aggregator with CloudWatch Logs' payload (local/usage-shipper.ts);
 * and for the rollup's schedule: a timer loop running the real rollup handler every minute. The
 * rollup keeps no state of its own (its markers are in the table), so a restart loses nothing.
 */
export async function startUsage(options: { stateDir: string; log: (line: string) => void }): Promise<UsageShipper> {
  const [{ handler }, { handler: rollup }] = await Promise.all([import('../lambdas/aggregate-usage'), import('../lambdas/roll-up-usage')]);
  const shipper = startUsageShipper({ stateDir: options.stateDir, handler, log: options.log });
  const rollups = startPollLoop({
    intervalMs: LOCAL_USAGE_ROLLUP_INTERVAL_MS,
    pass: async () => {
      await rollup();
    },
    onError: (error) =>
      options.log(`usage rollup failed (the next run catches up): ${error instanceof Error ? error.message : String(error)}`),
  });
  return {
    ...shipper,
    async stop() {
      await rollups.stop();
      await shipper.stop();
    },
  };
}
