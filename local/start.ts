import { parseArgs } from 'node:util';
import { DEMO_ORGANIZATION } from './seed';
import { DEFAULT_SES_PORT } from './ses-emulator';
import { type LocalStack, startLocalStack } from './stack';

/**
 * `npm start`: the process around the local stack (stack.ts). It reads the flags and ports,
 * prints the banner, and makes sure the stack stops, whatever ends the process: a signal, the
 * death of whoever started it, a bug.
 */

/** The banner `npm start` prints: where things are and ready-to-run curl lines. */
export function describeStack(stack: LocalStack): string {
  const base = `${stack.gatewayUrl}/v1/organizations/${stack.demo.organizationId}/api_keys`;
  const auth = `-H "Authorization: Bearer $ADMIN_JWT"`;
  const keyId = stack.demo.apiKeyId ?? '<api_key_id>';
  const lines = [
    '',
    `keyward local stack is ready: ${stack.gatewayUrl}`,
    `  console: ${stack.consoleUrl} (sign in as ${DEMO_ORGANIZATION.admin} with the sign-in code below)`,
    `  sign-in code: ${stack.signInCode}`,
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

/** `KEYWARD_AUTHORIZER_CACHE_TTL_SECONDS`: 0-3600, as the `authorizerCacheTtlSeconds` context of a deployed stage. */
function cacheTtlFromEnv(name: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return 0;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || seconds > 3600) throw new Error(`${name} must be a whole number of seconds 0-3600, got "${raw}"`);
  return seconds;
}

async function main(): Promise<void> {
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
      consoleBuild: buildConsole(),
      port: portFromEnv('PORT', 3000),
      dynamodbPort: portFromEnv('DYNAMODB_PORT', 8000),
      sesPort: portFromEnv('SES_PORT', DEFAULT_SES_PORT),
      authorizerCacheTtlSeconds: cacheTtlFromEnv('KEYWARD_AUTHORIZER_CACHE_TTL_SECONDS'),
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  console.log(describeStack(stack));
}

/**
 * Builds the console when its sources changed since the last build (console/scripts/build.ts is an
 * ES module, hence the dynamic import), so a newcomer's `npm start` needs no other command.
 */
async function buildConsole(): Promise<void> {
  const { buildConsole: build } = await import('../console/scripts/build');
  await build();
}

/** How long stopping may take before the process exits regardless. */
const STOP_DEADLINE_MS = 8000;
/** How often the process checks that whoever started it still runs. */
const ORPHAN_CHECK_MS = 500;

if (require.main === module) void main();
