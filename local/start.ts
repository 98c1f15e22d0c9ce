import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalSecretBox } from '../lambdas/adapters/local-secret-box';
import { OrganizationAlreadyExists } from '../lambdas/domain/errors';
import { keyConfig } from '../lambdas/runtime/config';
import { createOperator } from '../lambdas/runtime/operator';
import { createDevIssuer, type DevIssuer, JWKS_PATH, LOCAL_AUDIENCE, localIssuerUrl } from './dev-issuer';
import { type DynamoDbLocal, LOCAL_AWS, localClientConfig, migrateSharedDatabase, startDynamoDbLocal } from './dynamodb-local';
import { type Gateway, startGateway } from './gateway';
import { startRetirementLoop } from './retirement-loop';
import { DEFAULT_SES_PORT, type SesEmulator, startSesEmulator } from './ses-emulator';
import {
  LOCAL_TABLE_NAME,
  loadOrCreateDynamoDbAccessKeyId,
  loadOrCreateMasterKey,
  type RuntimeInfo,
  readRuntimeInfo,
  removeRuntimeInfo,
  resolveStateDir,
  secureStateDir,
  wipeState,
  writeRuntimeInfo,
} from './state';
import { startStreamPoller } from './stream-poller';
import { ensureTable } from './table';

/**
 * `npm start`: the whole system on one machine with the real handlers and local edges
 * (DESIGN.md "Local runtime = same code, local adapters"). The stack is a list of named
 * components started in order and stopped in reverse; a handler module reads its configuration
 * from `process.env` when first loaded, so one process runs at most one stack.
 */

export const DEMO_ORGANIZATION = { id: 'demo', name: 'Demo', admin: 'admin@demo.test' } as const;

export interface LocalStackOptions {
  /** Defaults to `KEYWARD_STATE_DIR` or `./.keyward`. */
  stateDir?: string;
  /** Gateway port. @default 3000 */
  port?: number;
  /** @default 8000 */
  dynamodbPort?: number;
  /** SES emulator and its web inbox. @default 8005 */
  sesPort?: number;
  /** Wipe the state directory first. */
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface LocalStack {
  gatewayUrl: string;
  runtime: RuntimeInfo;
  stateDir: string;
  /** A dev admin JWT for `admin@demo.test`, minted at this start. */
  adminToken: string;
  demo: {
    organizationId: string;
    /** The demo key's id (the oldest key of `demo`), if it still has one. */
    apiKeyId: string | undefined;
    /** The demo key's token: only known when this start created it. */
    apiKey: string | undefined;
  };
  issuer: DevIssuer;
  stop(): Promise<void>;
}

/** What components share while the stack starts; each fills in what it provides. */
interface StackState {
  stateDir: string;
  port: number;
  dynamodbPort: number;
  sesPort: number;
  log: (line: string) => void;
  ready: boolean;
  ses?: SesEmulator;
  poller?: { stop(): Promise<void> };
  retirementLoop?: { stop(): Promise<void> };
  /** The state directory's secret that opens DynamoDB Local's database. */
  accessKeyId?: string;
  dynamo?: DynamoDbLocal;
  /** The table's stream, for the stream poller that drives the notifier. */
  streamArn?: string;
  masterKey?: string;
  issuer?: DevIssuer;
  gateway?: Gateway;
  seeded?: { apiKeyId: string | undefined; apiKey: string | undefined };
}

interface Component {
  name: string;
  start(state: StackState): Promise<void>;
  stop?(state: StackState): Promise<void>;
}

/** Pending retirement jobs: written by the rotate handler, run by the timer loop. */
const scheduleDir = (state: StackState): string => join(state.stateDir, 'schedules');

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started`);
  return value;
}

/**
 * Owner-only state (API.md §6): the directory and what earlier versions left in it are made
 * private, and the umask makes every file this process and its children create private too
 * (DynamoDB Local's, the scheduler's, the poller's), so no file is ever readable by others.
 */
const stateDirectory: Component = {
  name: 'state directory',
  async start(state) {
    process.umask(0o077);
    secureStateDir(state.stateDir);
    state.accessKeyId = loadOrCreateDynamoDbAccessKeyId(state.stateDir);
  },
};

const dynamodbLocal: Component = {
  name: 'DynamoDB Local',
  async start(state) {
    const dbPath = join(state.stateDir, 'dynamodb');
    const accessKeyId = required(state.accessKeyId, 'state directory');
    if (migrateSharedDatabase(dbPath, accessKeyId)) {
      state.log("DynamoDB Local: an earlier version's shared database is now this state directory's own");
    }
    state.dynamo = await startDynamoDbLocal({ port: state.dynamodbPort, dbPath, accessKeyId });
  },
  async stop(state) {
    await state.dynamo?.stop();
  },
};

const table: Component = {
  name: 'table',
  async start(state) {
    const client = new DynamoDBClient(localClientConfig(required(state.dynamo, 'DynamoDB Local').endpoint, state.accessKeyId));
    try {
      state.streamArn = await ensureTable(client, LOCAL_TABLE_NAME);
    } finally {
      client.destroy();
    }
  },
};

const masterKey: Component = {
  name: 'master key',
  async start(state) {
    state.masterKey = loadOrCreateMasterKey(state.stateDir);
  },
};

const devIssuer: Component = {
  name: 'dev issuer',
  async start(state) {
    state.issuer = await createDevIssuer({
      stateDir: state.stateDir,
      issuer: localIssuerUrl(state.port),
      audience: LOCAL_AUDIENCE,
    });
  },
};

const sesEmulator: Component = {
  name: 'SES emulator',
  async start(state) {
    state.ses = await startSesEmulator({ port: state.sesPort });
  },
  async stop(state) {
    await state.ses?.stop();
  },
};

/**
 * The handlers' configuration (lambdas/runtime/config.ts), exactly as the CDK stack sets it on each
 * function, plus the region and credentials their SDK clients need in front of DynamoDB Local.
 */
const handlerEnvironment: Component = {
  name: 'handler environment',
  async start(state) {
    const issuer = required(state.issuer, 'dev issuer');
    Object.assign(process.env, {
      TABLE_NAME: LOCAL_TABLE_NAME,
      DYNAMODB_ENDPOINT: required(state.dynamo, 'DynamoDB Local').endpoint,
      LOCAL_MASTER_KEY: required(state.masterKey, 'master key'),
      ADMIN_JWT_ISSUER: issuer.issuer,
      ADMIN_JWT_AUDIENCE: issuer.audience,
      ADMIN_JWKS_URL: `${issuer.issuer}${JWKS_PATH}`,
      // Where scheduled retirements are recorded; the timer loop that runs them reads the same dir.
      LOCAL_SCHEDULE_DIR: scheduleDir(state),
      SES_ENDPOINT: required(state.ses, 'SES emulator').endpoint,
      SES_FROM_ADDRESS: LOCAL_SENDER,
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: required(state.accessKeyId, 'state directory'),
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    });
  },
};

/**
 * The stand-ins for the notifier's event-source mapping and for EventBridge Scheduler: both feed
 * the real handlers, imported only now because they read their configuration when loaded.
 */
const notifier: Component = {
  name: 'stream poller (notifier)',
  async start(state) {
    const { handler } = await import('../lambdas/notify-admins');
    state.poller = startStreamPoller({
      endpoint: required(state.dynamo, 'DynamoDB Local').endpoint,
      accessKeyId: state.accessKeyId,
      tableName: LOCAL_TABLE_NAME,
      handler,
      stateDir: state.stateDir,
      log: state.log,
    });
  },
  async stop(state) {
    await state.poller?.stop();
  },
};

const retirements: Component = {
  name: 'retirement timer loop',
  async start(state) {
    const { handler } = await import('../lambdas/retire-api-key');
    state.retirementLoop = startRetirementLoop({ dir: scheduleDir(state), handler, log: state.log });
  },
  async stop(state) {
    await state.retirementLoop?.stop();
  },
};

const gateway: Component = {
  name: 'gateway',
  async start(state) {
    const issuer = required(state.issuer, 'dev issuer');
    state.gateway = await startGateway({
      port: state.port,
      jwks: () => issuer.jwks(),
      isReady: () => state.ready,
      log: state.log,
    });
  },
  async stop(state) {
    await state.gateway?.close();
  },
};

/**
 * Brings the state an earlier version left up to date (operator.migrate, idempotent), then, on the
 * first start only, seeds organization `demo` with admin `admin@demo.test` and its first key.
 */
const seed: Component = {
  name: 'demo seed',
  async start(state) {
    const operator = createOperator({
      tableName: LOCAL_TABLE_NAME,
      dynamodb: localClientConfig(required(state.dynamo, 'DynamoDB Local').endpoint, state.accessKeyId),
      secrets: new LocalSecretBox(required(state.masterKey, 'master key')),
      ...keyConfig(),
    });
    try {
      await operator.migrate();
      let apiKey: string | undefined;
      if (!(await operator.store.getOrganization(DEMO_ORGANIZATION.id))) {
        try {
          const created = await operator.organizations.create({
            name: DEMO_ORGANIZATION.name,
            id: DEMO_ORGANIZATION.id,
            admins: [DEMO_ORGANIZATION.admin],
          });
          apiKey = created.api_key.value;
        } catch (error) {
          if (!(error instanceof OrganizationAlreadyExists)) throw error;
        }
      }
      const oldest = await operator.store.listKeys(DEMO_ORGANIZATION.id, { limit: 1 });
      state.seeded = { apiKeyId: oldest.items[0]?.id, apiKey };
    } finally {
      operator.close();
    }
  },
};

/** In start order: the background loops run before the first request and the seed's first key. */
const COMPONENTS: readonly Component[] = [
  stateDirectory,
  dynamodbLocal,
  table,
  masterKey,
  devIssuer,
  sesEmulator,
  handlerEnvironment,
  notifier,
  retirements,
  gateway,
  seed,
];

/** The sender of the admin emails in the local runtime (the SES emulator accepts any). */
const LOCAL_SENDER = 'keyward@keyward.local';

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = options.stateDir ?? resolveStateDir();
  const log = options.log ?? ((line: string) => console.log(line));
  const running = readRuntimeInfo(stateDir);
  if (running) {
    throw new Error(`a local stack is already running from ${stateDir} (pid ${running.pid}, ${running.gateway_url})`);
  }
  if (options.fresh) wipeState(stateDir);

  const state: StackState = {
    stateDir,
    port: options.port ?? 3000,
    dynamodbPort: options.dynamodbPort ?? 8000,
    sesPort: options.sesPort ?? DEFAULT_SES_PORT,
    log,
    ready: false,
  };
  const started: Component[] = [];
  const stopAll = async (): Promise<void> => {
    state.ready = false;
    for (const component of started.reverse()) {
      try {
        await component.stop?.(state);
      } catch (error) {
        log(`could not stop ${component.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    started.length = 0;
  };

  try {
    for (const component of COMPONENTS) {
      await component.start(state);
      started.push(component);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const issuer = required(state.issuer, 'dev issuer');
  const gatewayUrl = required(state.gateway, 'gateway').url;
  const runtime: RuntimeInfo = {
    gateway_url: gatewayUrl,
    dynamodb_endpoint: required(state.dynamo, 'DynamoDB Local').endpoint,
    dynamodb_region: LOCAL_AWS.region,
    dynamodb_access_key_id: required(state.accessKeyId, 'state directory'),
    table_name: LOCAL_TABLE_NAME,
    ses_url: required(state.ses, 'SES emulator').endpoint,
    issuer: issuer.issuer,
    audience: issuer.audience,
    pid: process.pid,
  };
  writeRuntimeInfo(stateDir, runtime);
  state.ready = true;

  let stopping: Promise<void> | undefined;
  return {
    gatewayUrl,
    runtime,
    stateDir,
    issuer,
    adminToken: await issuer.mint({ email: DEMO_ORGANIZATION.admin }),
    demo: { organizationId: DEMO_ORGANIZATION.id, ...required(state.seeded, 'demo seed') },
    stop: () => {
      stopping ??= (async () => {
        removeRuntimeInfo(stateDir);
        await stopAll();
      })();
      return stopping;
    },
  };
}

/** The banner `npm start` prints: where things are and ready-to-run curl lines. */
export function describeStack(stack: LocalStack): string {
  const base = `${stack.gatewayUrl}/v1/organizations/${stack.demo.organizationId}/api_keys`;
  const auth = `-H "Authorization: Bearer $ADMIN_JWT"`;
  const keyId = stack.demo.apiKeyId ?? '<api_key_id>';
  const lines = [
    '',
    `keyward local stack is ready: ${stack.gatewayUrl}`,
    `  state:   ${stack.stateDir}`,
    `  DynamoDB Local: ${stack.runtime.dynamodb_endpoint} (table ${stack.runtime.table_name})`,
    `  SES inbox: ${stack.runtime.ses_url} (admin emails; GET ${stack.runtime.ses_url}/store lists them as JSON)`,
    '',
    `Admin JWT for ${DEMO_ORGANIZATION.admin} (organization "${stack.demo.organizationId}", valid 12h):`,
    `  export ADMIN_JWT=${stack.adminToken}`,
    '',
  ];
  if (stack.demo.apiKey) {
    lines.push('Demo API key (shown once; later starts cannot print it again):', `  export DEMO_KEY=${stack.demo.apiKey}`);
  } else {
    lines.push(
      'Demo API key: created on the first start; reveal it with:',
      `  export DEMO_KEY=$(curl -s -X POST ${auth} ${base}/${keyId}/reveal | node -pe 'JSON.parse(require("fs").readFileSync(0)).api_key.value')`,
    );
  }
  lines.push(
    '',
    'Try:',
    `  curl -s ${auth} ${base}`,
    `  curl -s -X POST ${auth} -H 'content-type: application/json' -d '{"name":"ci","permissions":{"customer":["read"]}}' ${base}`,
    `  curl -s -H "x-api-key: $DEMO_KEY" ${stack.gatewayUrl}/v1/customers`,
    `  curl -s -X POST ${auth} -H 'content-type: application/json' -d '{"expires_in":"now"}' ${base}/${keyId}/rotate`,
    '',
    'Press Ctrl+C to stop.',
    '',
  );
  return lines.join('\n');
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  // The SDK warns that its releases after January 2027 need Node 22; this runtime pins its SDK
  // (package-lock.json) and Lambda runs Node 22+, so the warning would only bury the banner.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({ options: { fresh: { type: 'boolean', default: false } } });
  const parent = process.ppid;
  let stack: LocalStack | undefined;
  let exiting = false;
  const shutdown = (code: number): void => {
    if (exiting) return;
    exiting = true;
    // Still starting: exiting is stopping (DynamoDB Local is killed on exit, nothing else runs yet).
    if (!stack) process.exit(code);
    // Whatever a component does while stopping, the process (and with it Java, killed on exit) is
    // gone well within the 10 s API.md §6 allows.
    setTimeout(() => {
      console.error(`the local stack did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting anyway`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    stack.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(0));
  // `npm start` runs us under `sh -c`, which dies of the SIGTERM npm forwards without passing it
  // on; whoever started us is gone then (our parent changes), and so must we be.
  setInterval(() => {
    if (process.ppid !== parent) shutdown(0);
  }, ORPHAN_CHECK_MS).unref();
  // A bug, not a request, gets here: every request's errors end in its own 5xx. After an
  // uncaught exception the process state is unknown, so the stack stops cleanly; an unhandled
  // rejection is a promise nobody awaits any more, as Lambda would fail only that invocation.
  process.on('uncaughtException', (error) => {
    console.error('uncaught exception, stopping the local stack:', error);
    shutdown(1);
  });
  process.on('unhandledRejection', (error) => {
    console.error('unhandled promise rejection (a bug; the stack keeps running):', error);
  });

  try {
    stack = await startLocalStack({
      fresh: values.fresh,
      port: portFromEnv('PORT', 3000),
      dynamodbPort: portFromEnv('DYNAMODB_PORT', 8000),
      sesPort: portFromEnv('SES_PORT', DEFAULT_SES_PORT),
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  console.log(describeStack(stack));
}

/** How long stopping may take before the process exits regardless. */
const STOP_DEADLINE_MS = 8000;
/** How often the process checks that whoever started it still runs. */
const ORPHAN_CHECK_MS = 500;

if (require.main === module) void main();
