import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { z } from 'zod';
import { type AdminClaimRules, CLAIM_NAME_PATTERN, DEFAULT_ADMIN_CLAIMS, NO_EMAIL_VERIFIED_CLAIM } from '../domain/admin-claims';
import { GITHUB_SECRET_SCANNING_KEYS_URL } from '../domain/leak';
import { parseResourceCatalog } from '../domain/permissions';
import { DEFAULT_PLANS, PLAN_NAME_PATTERN, type PlansConfig, parsePlans } from '../domain/plans';
import { EXAMPLE_ROUTES, parseRoutes, type RouteDefinition, serializeRoutes } from '../domain/routes';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from '../domain/token';

/**
 * Environment configuration, validated once at module load (cold start): a missing or bad
 * variable fails the cold start with a clear message, never the 1000th request. Each entry file
 * reads only the sections it needs, so each function is given only the variables it uses.
 */
function read<T extends z.ZodType>(section: string, schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid ${section} configuration: ${problems}`);
  }
  return result.data;
}

/** A function, not a constant, so that no zod call runs at module load of a zod-free entry. */
const optional = () => z.string().trim().min(1).optional();

/**
 * Table access; `DYNAMODB_ENDPOINT` is set only by the local runtime (DynamoDB Local).
 * This section and `keyConfig` are checked by hand rather than with zod because the api-key
 * authorizer reads only these two, and keeping zod out of its bundle halves its size (bench/).
 */
export const tableConfig = (env = process.env) => {
  const tableName = env.TABLE_NAME?.trim();
  if (!tableName) throw new Error('invalid table configuration: TABLE_NAME is required');
  const endpoint = env.DYNAMODB_ENDPOINT?.trim() || undefined;
  return { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint };
};

/** Token format and permission catalog (deployment configuration, API.md §2). */
export const keyConfig = (env = process.env) => {
  const keyPrefix = env.KEY_PREFIX?.trim() || DEFAULT_KEY_PREFIX;
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new Error(`invalid key configuration: KEY_PREFIX must be 1-16 of a-z0-9 starting with a letter, got "${keyPrefix}"`);
  }
  return { keyPrefix, catalog: parseResourceCatalog(env.RESOURCE_CATALOG) };
};

/** Marks a `ROUTE_TABLE` compressed with Brotli and base64-encoded. */
export const COMPRESSED_ROUTE_TABLE_PREFIX = 'br:';
/** Up to this many characters the table travels as plain JSON (readable in the console); above it, compressed. */
export const PLAIN_ROUTE_TABLE_MAX_CHARS = 1024;
/**
 * The most `ROUTE_TABLE` may take of Lambda's 4 KB for all of a function's variables (names and
 * values), leaving a kilobyte to the others (table name, prefix, caches, Powertools).
 */
export const ROUTE_TABLE_MAX_CHARS = 3072;

/**
 * A route table as `ROUTE_TABLE` carries it: `serializeRoutes` JSON, or, above
 * `PLAIN_ROUTE_TABLE_MAX_CHARS` (about 20 routes), that JSON Brotli-compressed and base64-encoded
 * behind `br:` (paths repeat, so 300 routes fit in about 2 KB where their JSON takes 16 KB).
 */
export function encodeRouteTable(routes: readonly RouteDefinition[]): string {
  const json = serializeRoutes(routes);
  if (json.length <= PLAIN_ROUTE_TABLE_MAX_CHARS) return json;
  const compressed = brotliCompressSync(json, {
    params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: json.length },
  });
  return `${COMPRESSED_ROUTE_TABLE_PREFIX}${compressed.toString('base64')}`;
}

function decodeRouteTable(raw: string): string {
  if (!raw.startsWith(COMPRESSED_ROUTE_TABLE_PREFIX)) return raw;
  try {
    return brotliDecompressSync(Buffer.from(raw.slice(COMPRESSED_ROUTE_TABLE_PREFIX.length), 'base64')).toString('utf8');
  } catch {
    throw new Error('route table is not valid compressed data');
  }
}

/**
 * The protected API's route table: `ROUTE_TABLE` (set by the ApiKeyAuthorizer construct from
 * its `routes`, `encodeRouteTable`) or, by default, the example API's. Also checked by hand, for the authorizer.
 */
export const routesConfig = (env = process.env): readonly RouteDefinition[] => {
  const raw = env.ROUTE_TABLE?.trim();
  if (!raw) return EXAMPLE_ROUTES;
  try {
    return parseRoutes(decodeRouteTable(raw));
  } catch (error) {
    throw new Error(`invalid routes configuration: ROUTE_TABLE: ${(error as Error).message}`);
  }
};

/** A whole number in `min..max` from `env[name]`, or `fallback` when unset. Checked by hand, for the authorizer. */
function wholeNumber(env: NodeJS.ProcessEnv, section: string, name: string, min: number, max: number, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`invalid ${section} configuration: ${name} must be a whole number ${min}-${max}, got "${raw}"`);
  }
  return value;
}

/**
 * The api-key authorizer's optional in-function cache of found keys (adapters/hot-key-cache.ts):
 * `AUTHORIZER_KEY_CACHE_MS` is how long a key is reused, and so the revocation lag per warm
 * instance (0, the default, is off); `AUTHORIZER_KEY_CACHE_ENTRIES` bounds its memory.
 */
export const hotKeyCacheConfig = (env = process.env) => ({
  ttlMs: wholeNumber(env, 'hot key cache', 'AUTHORIZER_KEY_CACHE_MS', 0, 60_000, 0),
  maxEntries: wholeNumber(env, 'hot key cache', 'AUTHORIZER_KEY_CACHE_ENTRIES', 1, 100_000, 1000),
});

/**
 * The api-key authorizer's fallback usage identifier (API.md §9): with plans, the value of the
 * stack's API key in the default plan's usage plan (`FALLBACK_USAGE_IDENTIFIER`), named for an
 * organization whose hot items carry no identifier of its own yet. Checked by hand, for the authorizer.
 */
export const fallbackUsageIdentifierConfig = (env = process.env): string | undefined => {
  const value = env.FALLBACK_USAGE_IDENTIFIER?.trim();
  if (!value) return undefined;
  // API Gateway's API key values: 20 to 128 characters.
  if (value.length < 20 || value.length > 128) {
    throw new Error('invalid usage plans configuration: FALLBACK_USAGE_IDENTIFIER must be 20-128 characters');
  }
  return value;
};

/** Token encryption: KMS in AWS (`KMS_KEY_ID`), a local AES-256-GCM master key otherwise. */
export const secretsConfig = (env = process.env) =>
  read(
    'secrets',
    z
      .object({ KMS_KEY_ID: optional(), LOCAL_MASTER_KEY: optional() })
      .refine((value) => value.KMS_KEY_ID || value.LOCAL_MASTER_KEY, 'set KMS_KEY_ID (AWS) or LOCAL_MASTER_KEY (local)'),
    env,
  );

const claimName = (fallback: string) => z.string().trim().regex(CLAIM_NAME_PATTERN).default(fallback);

/**
 * The admin authorizer's OIDC issuer (Cognito in AWS, the dev issuer locally): `ADMIN_JWT_AUDIENCE`
 * is a comma-separated list of client ids, and the claim rules default to Cognito's
 * (`ADMIN_EMAIL_VERIFIED_CLAIM=none`: the issuer vouches for every address it issues).
 */
export const adminAuthConfig = (env = process.env) => {
  const parsed = read(
    'admin auth',
    z.object({
      ADMIN_JWT_ISSUER: z.string().url(),
      ADMIN_JWT_AUDIENCE: z
        .string()
        .transform((value) => value.split(',').map((entry) => entry.trim()))
        .pipe(z.array(z.string().min(1)).min(1)),
      /** Defaults to `<issuer>/.well-known/jwks.json` (Cognito's layout). */
      ADMIN_JWKS_URL: z.string().url().optional(),
      ADMIN_EMAIL_CLAIM: claimName(DEFAULT_ADMIN_CLAIMS.email),
      ADMIN_EMAIL_VERIFIED_CLAIM: claimName(DEFAULT_ADMIN_CLAIMS.emailVerified!),
    }),
    env,
  );
  const verified = parsed.ADMIN_EMAIL_VERIFIED_CLAIM;
  const claims: AdminClaimRules = {
    email: parsed.ADMIN_EMAIL_CLAIM,
    emailVerified: verified === NO_EMAIL_VERIFIED_CLAIM ? null : verified,
  };
  return { ...parsed, claims };
};

/**
 * Where lifecycle jobs go: EventBridge Scheduler in AWS (the five variables come together, from
 * the stack), a directory of durable job files in the local runtime, or nowhere (instant rotation
 * only, e.g. a function that never rotates).
 */
export const schedulerConfig = (env = process.env) => {
  const parsed = read(
    'scheduler',
    z
      .object({
        SCHEDULE_GROUP_NAME: optional(),
        RETIRE_FUNCTION_ARN: optional(),
        REMIND_FUNCTION_ARN: optional(),
        SCHEDULER_ROLE_ARN: optional(),
        SCHEDULER_DLQ_ARN: optional(),
        LOCAL_SCHEDULE_DIR: optional(),
        // Local runtime only, for its tests: a reminder "day" in ms, so a mark can fall seconds ahead.
        LOCAL_REMINDER_DAY_MS: z.coerce.number().int().min(1).optional(),
      })
      .refine(
        (value) =>
          [value.RETIRE_FUNCTION_ARN, value.REMIND_FUNCTION_ARN, value.SCHEDULER_ROLE_ARN, value.SCHEDULER_DLQ_ARN].every(
            (arn) => (arn !== undefined) === (value.SCHEDULE_GROUP_NAME !== undefined),
          ),
        'SCHEDULE_GROUP_NAME, RETIRE_FUNCTION_ARN, REMIND_FUNCTION_ARN, SCHEDULER_ROLE_ARN and SCHEDULER_DLQ_ARN must be set together',
      ),
    env,
  );
  if (parsed.SCHEDULE_GROUP_NAME) {
    return {
      kind: 'eventbridge',
      groupName: parsed.SCHEDULE_GROUP_NAME,
      retireFunctionArn: parsed.RETIRE_FUNCTION_ARN!,
      remindFunctionArn: parsed.REMIND_FUNCTION_ARN!,
      roleArn: parsed.SCHEDULER_ROLE_ARN!,
      deadLetterArn: parsed.SCHEDULER_DLQ_ARN!,
    } as const;
  }
  if (parsed.LOCAL_SCHEDULE_DIR)
    return { kind: 'local', dir: parsed.LOCAL_SCHEDULE_DIR, reminderDayMs: parsed.LOCAL_REMINDER_DAY_MS } as const;
  return { kind: 'none' } as const;
};

/**
 * Admin emails: SES in AWS; `SES_ENDPOINT` is set only by the local runtime (the SES emulator).
 * `SES_CONFIGURATION_SET` (set by the stack) is the configuration set every email is sent with,
 * whose reputation metrics the bounce and complaint alarms watch.
 */
export const mailConfig = (env = process.env) =>
  read(
    'mail',
    z.object({ SES_FROM_ADDRESS: z.string().email(), SES_ENDPOINT: z.string().url().optional(), SES_CONFIGURATION_SET: optional() }),
    env,
  );

/** Lifecycle events (API.md §8): the stack's EventBridge bus the publisher puts every audit event on. */
export const eventsConfig = (env = process.env) => read('events', z.object({ EVENT_BUS_NAME: z.string().trim().min(1) }), env);

/** The deployment's plans (API.md §9): `KEYWARD_PLANS` (the plans JSON) or DEFAULT_PLANS. */
export const plansConfig = (env = process.env): PlansConfig => {
  const raw = env.KEYWARD_PLANS?.trim();
  return raw ? parsePlans(raw, 'KEYWARD_PLANS') : DEFAULT_PLANS;
};

/**
 * Each plan's API Gateway usage plan id (`USAGE_PLAN_IDS`, JSON), set by the stack on the functions
 * that read `quota_used` when the stage has plans; unset locally, where the gateway's counters answer.
 */
export const usagePlanIdsConfig = (env = process.env): Record<string, string> | undefined => {
  const raw = env.USAGE_PLAN_IDS?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('invalid usage plans configuration: USAGE_PLAN_IDS is not JSON');
  }
  return read('usage plans', z.record(z.string().regex(PLAN_NAME_PATTERN), z.string().trim().min(1)), parsed as NodeJS.ProcessEnv);
};

/**
 * Secret-scanning reports (API.md §10): where the signer's public keys are published. GitHub's by
 * default; the local stack points it at its own stand-in document (`KEYWARD_SECRET_SCANNING_KEYS_URL`
 * overrides that), and a deployment at another signer with the `secretScanningKeysUrl` context.
 */
export const secretScanningConfig = (env = process.env) =>
  read('secret scanning', z.object({ SECRET_SCANNING_KEYS_URL: z.string().trim().url().default(GITHUB_SECRET_SCANNING_KEYS_URL) }), env);
