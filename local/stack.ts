import { join } from 'node:path';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import type { PlansConfig } from '../lambdas/domain/plans';
import { documentClient } from '../lambdas/runtime/clients';
import { localPlans } from '../lib/plans';
import {
  createLocalTable,
  prepareStateDirectory,
  setHandlerEnvironment,
  startEventPublisher,
  startLocalDynamoDb,
  startNotifier,
  startRetirements,
  startUsage,
} from './components';
import { CONSOLE_PATH, createConsoleSite } from './console-site';
import { createDevIssuer, type DevIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER_PATH, localIssuerUrl } from './dev-issuer';
import { createDevIssuerOidc } from './dev-issuer-oidc';
import { LOCAL_AWS, localClientConfig } from './dynamodb-local';
import { startGateway } from './gateway';
import { PlanEnforcer } from './gateway-plans';
import { keyDocumentSite, loadOrCreateSigner, SECRET_SCANNING_KEYS_PATH } from './secret-scanning';
import { DEMO_ORGANIZATION, type DemoSeed, seedDemo } from './seed';
import { DEFAULT_SES_PORT, startSesEmulator } from './ses-emulator';
import {
  LOCAL_TABLE_NAME,
  loadOrCreateMasterKey,
  loadOrCreateSignInCode,
  type RuntimeInfo,
  readRuntimeInfo,
  removeRuntimeInfo,
  resolveStateDir,
  wipeState,
  writeRuntimeInfo,
} from './state';
import { StopStack } from './stop-stack';

/**
 * The whole system on one machine with the real handlers and local edges (DESIGN.md "Local
 * runtime = same code, local adapters"): its parts started in order, each running part's stop
 * handle on one stack, stopped in reverse. A handler module reads its configuration from
 * `process.env` when first loaded, so one process runs at most one stack.
 */

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
  /**
   * The console's build (console/scripts/build.ts), run while the stack starts: the stack is
   * ready once it has ended. A failed build leaves the stack running and the console explaining why.
   * @default none: `console/dist` is served as it is
   */
  consoleBuild?: Promise<unknown>;
  /**
   * API Gateway's result cache on the example protected API's authorizer, emulated by the gateway
   * (`KEYWARD_AUTHORIZER_CACHE_TTL_SECONDS`, as the `authorizerCacheTtlSeconds` context).
   * @default 0: off
   */
  authorizerCacheTtlSeconds?: number;
  log?: (line: string) => void;
  /** The plans the gateway enforces. @default KEYWARD_PLANS_FILE's, or the default plans (API.md §9) */
  plans?: PlansConfig;
}

export interface LocalStack {
  gatewayUrl: string;
  /** The admin console, `<gateway>/console/`. */
  consoleUrl: string;
  runtime: RuntimeInfo;
  stateDir: string;
  /** A dev admin JWT for `admin@demo.test`, minted at this start. */
  adminToken: string;
  /** What the dev issuer's sign-in page asks for next to the email (API.md §6), from the state directory. */
  signInCode: string;
  demo: DemoSeed & { organizationId: string };
  issuer: DevIssuer;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = options.stateDir ?? resolveStateDir();
  const log = options.log ?? ((line: string) => console.log(line));
  const running = readRuntimeInfo(stateDir);
  if (running) {
    throw new Error(`a local stack is already running from ${stateDir} (pid ${running.pid}, ${running.gateway_url})`);
  }
  if (options.fresh) wipeState(stateDir);
  // Read before anything starts: a bad plans file stops `npm start` with its reason.
  const plans = options.plans ?? localPlans();

  const port = options.port ?? 3000;
  const stops = new StopStack(log);
  try {
    const { accessKeyId } = prepareStateDirectory(stateDir);
    const dynamo = stops.push(
      'DynamoDB Local',
      await startLocalDynamoDb({ stateDir, port: options.dynamodbPort ?? 8000, accessKeyId, log }),
    );
    await createLocalTable(dynamo.endpoint, accessKeyId);
    const masterKey = loadOrCreateMasterKey(stateDir);
    const issuer = await createDevIssuer({ stateDir, issuer: localIssuerUrl(port), audience: LOCAL_AUDIENCE });
    const ses = stops.push('SES emulator', await startSesEmulator({ port: options.sesPort ?? DEFAULT_SES_PORT }));
    const signer = loadOrCreateSigner(stateDir);
    setHandlerEnvironment({ stateDir, dynamodbEndpoint: dynamo.endpoint, accessKeyId, masterKey, issuer, sesEndpoint: ses.endpoint });
    // The handlers (settings) read the plans as the deployed functions do.
    process.env.KEYWARD_PLANS = JSON.stringify(plans);
    const planDb = documentClient(localClientConfig(dynamo.endpoint, accessKeyId));
    stops.push('plan reader', { stop: () => planDb.destroy() });
    const planStore = new DynamoDbKeyStore(planDb, LOCAL_TABLE_NAME);
    // Reports are checked against the stand-in's own key unless a test trusts another signer.
    process.env.SECRET_SCANNING_KEYS_URL =
      process.env.KEYWARD_SECRET_SCANNING_KEYS_URL?.trim() || `http://127.0.0.1:${port}${SECRET_SCANNING_KEYS_PATH}`;
    // The background loops run before the first request and the seed's first key.
    stops.push('stream poller (notifier)', await startNotifier({ stateDir, dynamodbEndpoint: dynamo.endpoint, accessKeyId, log }));
    stops.push(
      'stream poller (event publisher)',
      await startEventPublisher({ stateDir, dynamodbEndpoint: dynamo.endpoint, accessKeyId, log }),
    );
    stops.push('retirement timer loop', await startRetirements({ stateDir, log }));
    const usage = stops.push('usage shipper', await startUsage({ stateDir, log }));
    let ready = false;
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const consoleUrl = `${gatewayUrl}${CONSOLE_PATH}`;
    let consoleProblem: string | undefined = 'The console is still being built.';
    const consoleBuilt = (options.consoleBuild ?? Promise.resolve()).then(
      () => (consoleProblem = undefined),
      (error: unknown) => {
        consoleProblem = `Its build failed (${error instanceof Error ? error.message : String(error)}).`;
        log(`console: the build failed, ${consoleUrl} explains it: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    // The console signs in at the dev issuer as it does at Cognito (code + PKCE), and is sent back to itself.
    const signInCode = loadOrCreateSignInCode(stateDir);
    const oidc = createDevIssuerOidc({ issuer, redirectUris: [consoleUrl], signInCode });
    const consoleSite = createConsoleSite({
      distDir: join(__dirname, '..', 'console', 'dist'),
      config: { authority: issuer.issuer, client_id: issuer.audience, redirect_uri: consoleUrl, api_base_url: gatewayUrl },
      unavailable: () => consoleProblem,
    });
    const gateway = await startGateway({
      port,
      jwks: () => issuer.jwks(),
      isReady: () => ready,
      log,
      authorizerCacheTtlSeconds: options.authorizerCacheTtlSeconds,
      accessLog: (line) => usage.append(line),
      sites: [
        async (request, response, path) => path.startsWith(`${LOCAL_ISSUER_PATH}/`) && oidc(request, response),
        keyDocumentSite(signer),
        consoleSite,
      ],
      plans: new PlanEnforcer({
        plans,
        planOf: (organizationId) => planStore.getPlan(organizationId),
        countQuota: (organizationId, windowStart, limit) => planStore.countQuota(organizationId, windowStart, limit),
      }),
    });
    stops.push('gateway', { stop: () => gateway.close() });
    const seeded = await seedDemo({ endpoint: dynamo.endpoint, accessKeyId, masterKey });

    const runtime: RuntimeInfo = {
      gateway_url: gateway.url,
      dynamodb_endpoint: dynamo.endpoint,
      dynamodb_region: LOCAL_AWS.region,
      dynamodb_access_key_id: accessKeyId,
      table_name: LOCAL_TABLE_NAME,
      ses_url: ses.endpoint,
      issuer: issuer.issuer,
      audience: issuer.audience,
      pid: process.pid,
      plans,
    };
    // Stopping starts by saying so: `GET /health` answers 503, and the CLI finds no stack.
    stops.push('readiness', { stop: () => void (ready = false) });
    await consoleBuilt;
    writeRuntimeInfo(stateDir, runtime);
    stops.push('runtime.json', { stop: () => removeRuntimeInfo(stateDir) });
    ready = true;

    return {
      gatewayUrl: gateway.url,
      consoleUrl,
      runtime,
      stateDir,
      issuer,
      adminToken: await issuer.mint({ email: DEMO_ORGANIZATION.admin }),
      signInCode,
      demo: { organizationId: DEMO_ORGANIZATION.id, ...seeded },
      stop: () => stops.stopAll(),
    };
  } catch (error) {
    await stops.stopAll();
    throw error;
  }
}
