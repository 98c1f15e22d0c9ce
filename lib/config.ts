import { type AdminClaimRules, CLAIM_NAME_PATTERN, DEFAULT_ADMIN_CLAIMS, NO_EMAIL_VERIFIED_CLAIM } from '../lambdas/domain/admin-claims';
import { GITHUB_SECRET_SCANNING_KEYS_URL } from '../lambdas/domain/leak';
import { parseResourceCatalog } from '../lambdas/domain/permissions';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from '../lambdas/domain/token';
import { ACCESS_LOG_FORMAT_NAMES, type AccessLogFormatName, DEFAULT_ACCESS_LOG_FORMAT } from '../lambdas/observability/access-log-fields';
import { STAGE_PATTERN, type StageProps, stageProps } from './stage';

/**
 * Deployment configuration, read from CDK context (`cdk.json` or `-c key=value`) and validated
 * once, before any construct is built: a typo fails `cdk synth` with a message naming the
 * parameter instead of deploying something half-configured.
 */
export interface KeywardConfig extends StageProps {
  /** SES sending identity, or undefined when emails are not configured yet. */
  readonly sesSender?: SesSender;
  /** External OIDC issuer for admins, or undefined to create a Cognito user pool. */
  readonly adminIssuer?: ExternalIssuer;
  /** Token prefix (API.md §2). */
  readonly keyPrefix: string;
  /** Permission resources (API.md §2). */
  readonly resourceCatalog: readonly string[];
  /** API-key authorizer result cache TTL; 0 = off (revocation is then immediate). */
  readonly authorizerCacheTtlSeconds: number;
  /** API-key authorizer in-function cache of found keys, in ms; 0 = off (revocation is then immediate). */
  readonly authorizerKeyCacheMs: number;
  /** More URLs the console is served at (a custom domain, a dev server): extra OIDC callback and logout URLs. */
  readonly consoleUrls: readonly string[];
  /** The Cognito hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), or undefined for the default. */
  readonly cognitoDomainPrefix?: string;
  /** An address subscribed to the alarm topic, or undefined (subscribe whatever you page with yourself). */
  readonly alarmEmail?: string;
  /** Stage-level throttling of the example protected (consumer) API. */
  readonly consumerApiThrottle: Throttle;
  /** Stage-level throttling of the management API. */
  readonly managementApiThrottle: Throttle;
  /**
   * The protected API's authorizer identity source is `x-api-key`: API Gateway answers a request
   * without it 401 itself, without invoking the authorizer, and the `Authorization: Bearer`
   * fallback is off. False: every request invokes the authorizer (the fallback works).
   */
  readonly apiKeyHeaderOnly: boolean;
  /**
   * X-Ray on the consumer (protected) API's stage, and so in the authorizer: $5 per million traces
   * recorded at API Gateway's default sampling (one request a second and 5 % of the rest). Off by
   * default (docs/operating.md, "Cost per million authorized requests").
   */
  readonly consumerApiTracing: boolean;
  /**
   * The consumer (protected) API's access log line: `lean` (the default) holds only what the usage
   * counts and the alarms read (organization, key, status, deny code, gateway error type and API
   * Gateway's request id), ~60 bytes a request; `full` adds the API id, request id, times, caller,
   * route and latencies, ~700 bytes, i.e. about +$0.32 of log ingestion per million requests
   * (docs/operating.md, "Access logs").
   * The management API's stage always logs `full`.
   */
  readonly accessLogFormat: AccessLogFormatName;
  /** Concurrency reserved for (and capping) the api-key authorizer; undefined = none. */
  readonly authorizerReservedConcurrency?: number;
  /** A fixed table name, or undefined to let CloudFormation generate one. */
  readonly tableName?: string;
  /** The SES identity of `sesSender` exists already (verified outside this stack): use it, do not create it. */
  readonly sesIdentityExists: boolean;
  /** An IAM principal (the operator's role or user) that may `kms:Encrypt` with the token key, for the CLI. */
  readonly operatorPrincipalArn?: string;
  /**
   * The Cognito user pool mails its invitations (temporary passwords) and password-reset codes
   * through SES from `sesSender`, rather than from Cognito's default sender (50 emails a day).
   * Cognito refuses an identity that is not verified yet, so it defaults to `sesIdentityExists`
   * (with the Cognito pool).
   */
  readonly adminInvitesFromSender: boolean;
  /**
   * The public keys secret-scanning reports are verified against (API.md §10), in GitHub's format.
   * @default GitHub's, https://api.github.com/meta/public_keys/secret_scanning
   */
  readonly secretScanningKeysUrl: string;
  /**
   * The stack sets API Gateway's account-wide CloudWatch role (`AWS::ApiGateway::Account`, one per
   * account and region). Off by default: the setting belongs to the account, and two stacks that
   * both set it overwrite each other. When off, the account must have it already
   * (docs/deploying.md#api-gateway-logging-role).
   */
  readonly manageApiGatewayAccount: boolean;
  /**
   * Deploy the example protected API (the echo backend behind the API-key authorizer, API.md §1),
   * to exercise a stage end to end. Defaults to dev stages only: a production stage protects the
   * platform's own API (docs/protect-your-api.md) and ships no echo of the authorizer's context.
   */
  readonly exampleApi: boolean;
}

/** API Gateway stage throttling: steady requests per second and the bucket of requests above it. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface SesSender {
  /** `email`: a single verified address; `domain`: a verified domain (DKIM records to publish). */
  readonly kind: 'email' | 'domain';
  /** The identity SES verifies: the address, or the domain. */
  readonly identity: string;
  /** The `From` address the notifier uses. */
  readonly fromAddress: string;
  /**
   * A subdomain of a domain identity that bounces return to (the envelope's MAIL FROM), so SPF
   * aligns with the `From` domain for DMARC; its MX and SPF records are the operator's to publish.
   */
  readonly mailFromDomain?: string;
}

export interface ExternalIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** @default `<issuer>/.well-known/jwks.json` (resolved by the admin authorizer) */
  readonly jwksUrl?: string;
  /** Which of its ID token's claims carry the admin's email and vouch for it (`adminEmailClaim`, `adminEmailVerifiedClaim`). */
  readonly claims: AdminClaimRules;
}

/** The context keys this app reads, in one place for the docs and the error messages. */
export const CONTEXT_KEYS = [
  'stage',
  'sesSender',
  'adminIssuer',
  'adminAudience',
  'adminJwksUrl',
  'adminEmailClaim',
  'adminEmailVerifiedClaim',
  'adminInvitesFromSender',
  'keyPrefix',
  'resourceCatalog',
  'authorizerCacheTtlSeconds',
  'authorizerKeyCacheMs',
  'consoleUrls',
  'cognitoDomainPrefix',
  'alarmEmail',
  'consumerApiRateLimit',
  'consumerApiBurstLimit',
  'managementApiRateLimit',
  'managementApiBurstLimit',
  'apiKeyHeaderOnly',
  'consumerApiTracing',
  'accessLogFormat',
  'authorizerReservedConcurrency',
  'tableName',
  'sesIdentityExists',
  'sesMailFromDomain',
  'operatorPrincipalArn',
  'secretScanningKeysUrl',
  'manageApiGatewayAccount',
  'exampleApi',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

export const DEFAULT_STAGE = 'dev';
export const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;
/** Kept under the 60 s `last_used_at` window, and short because it is the revocation lag. */
export const MAX_AUTHORIZER_KEY_CACHE_MS = 60_000;
/**
 * Consumer traffic is the product: a limit high enough for a real platform's API, yet well under
 * the account's regional 10,000 req/s (5,000 burst) that every API of the account shares.
 */
export const DEFAULT_CONSUMER_API_THROTTLE: Throttle = { rateLimit: 1000, burstLimit: 2000 };
/** A handful of admins and consoles; anything faster is a script gone wrong or an attack. */
export const DEFAULT_MANAGEMENT_API_THROTTLE: Throttle = { rateLimit: 25, burstLimit: 50 };
/**
 * 100 concurrent authorizations are ~10,000 req/s at ~10 ms each, above the default consumer
 * limit, and leave 900 of the default 1,000 to the management functions, the notifier and the rest.
 */
export const DEFAULT_AUTHORIZER_RESERVED_CONCURRENCY = 100;
/** DynamoDB's rule for table names. */
const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;
const IAM_PRINCIPAL_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/** Local part used with a domain identity. */
export const DOMAIN_SENDER_LOCAL_PART = 'no-reply';

const EMAIL_PATTERN = /^[^\s@]+@([a-z0-9-]+\.)+[a-z]{2,}$/i;
const DOMAIN_PATTERN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i;

export class ConfigError extends Error {
  constructor(key: ContextKey, problem: string) {
    super(`invalid context "${key}": ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Context values arrive as strings from `-c`, or as JSON values (strings, numbers, booleans) from `cdk.json`. */
function text(key: ContextKey, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new ConfigError(key, 'must be a string');
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

function httpsUrl(key: ContextKey, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(key, 'must be an https:// URL');
  return value.replace(/\/+$/, '');
}

function parseSesSender(raw: string | undefined): SesSender | undefined {
  if (raw === undefined) return undefined;
  if (EMAIL_PATTERN.test(raw)) return { kind: 'email', identity: raw, fromAddress: raw };
  if (DOMAIN_PATTERN.test(raw)) {
    const domain = raw.toLowerCase();
    return { kind: 'domain', identity: domain, fromAddress: `${DOMAIN_SENDER_LOCAL_PART}@${domain}` };
  }
  throw new ConfigError('sesSender', `"${raw}" is neither an email address nor a domain`);
}

function withMailFromDomain(sender: SesSender | undefined, raw: string | undefined): SesSender | undefined {
  if (raw === undefined) return sender;
  if (sender?.kind !== 'domain') throw new ConfigError('sesMailFromDomain', 'is only used with a domain sesSender');
  const domain = raw.toLowerCase();
  if (!DOMAIN_PATTERN.test(domain) || !domain.endsWith(`.${sender.identity}`)) {
    throw new ConfigError('sesMailFromDomain', `"${raw}" must be a subdomain of ${sender.identity} (e.g. mail.${sender.identity})`);
  }
  return { ...sender, mailFromDomain: domain };
}

function parseClaimName(key: ContextKey, raw: string): string {
  if (!CLAIM_NAME_PATTERN.test(raw)) throw new ConfigError(key, `"${raw}" is not a claim name (1-128 of A-Z a-z 0-9 _ . : / -)`);
  return raw;
}

function parseIssuer(value: (key: ContextKey) => string | undefined): ExternalIssuer | undefined {
  const issuer = value('adminIssuer');
  const audience = value('adminAudience');
  const issuerOnly = ['adminJwksUrl', 'adminEmailClaim', 'adminEmailVerifiedClaim'] as const;
  if (issuer === undefined && audience === undefined) {
    for (const key of issuerOnly) {
      // Cognito's claims are fixed (email, email_verified): the rules belong to an external issuer.
      if (value(key) !== undefined) throw new ConfigError(key, 'is only used with adminIssuer and adminAudience');
    }
    return undefined;
  }
  if (issuer === undefined) throw new ConfigError('adminIssuer', 'is required when adminAudience is set');
  if (audience === undefined) throw new ConfigError('adminAudience', 'is required when adminIssuer is set');
  const jwksUrl = value('adminJwksUrl');
  const emailClaim = value('adminEmailClaim');
  const verifiedClaim = value('adminEmailVerifiedClaim');
  return {
    issuer: httpsUrl('adminIssuer', issuer),
    audience,
    ...(jwksUrl === undefined ? {} : { jwksUrl: httpsUrl('adminJwksUrl', jwksUrl) }),
    claims: {
      email: emailClaim === undefined ? DEFAULT_ADMIN_CLAIMS.email : parseClaimName('adminEmailClaim', emailClaim),
      emailVerified:
        verifiedClaim === undefined
          ? DEFAULT_ADMIN_CLAIMS.emailVerified
          : verifiedClaim === NO_EMAIL_VERIFIED_CLAIM
            ? null
            : parseClaimName('adminEmailVerifiedClaim', verifiedClaim),
    },
  };
}

function parseCacheTtl(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\d+$/.test(raw)) throw new ConfigError('authorizerCacheTtlSeconds', `"${raw}" is not a whole number of seconds`);
  const seconds = Number(raw);
  if (seconds > MAX_AUTHORIZER_CACHE_TTL_SECONDS) {
    throw new ConfigError(
      'authorizerCacheTtlSeconds',
      `must be 0-${MAX_AUTHORIZER_CACHE_TTL_SECONDS} (API Gateway's maximum), got ${seconds}`,
    );
  }
  return seconds;
}

function parseKeyCacheMs(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\d+$/.test(raw)) throw new ConfigError('authorizerKeyCacheMs', `"${raw}" is not a whole number of milliseconds`);
  const ms = Number(raw);
  if (ms > MAX_AUTHORIZER_KEY_CACHE_MS) {
    throw new ConfigError('authorizerKeyCacheMs', `must be 0-${MAX_AUTHORIZER_KEY_CACHE_MS}, got ${ms}`);
  }
  return ms;
}

function parseConsoleUrls(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((entry) => {
    const value = entry.trim();
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError('consoleUrls', `"${value}" is not a URL`);
    }
    // Cognito accepts plain HTTP only for localhost (a console run by `npm run dev -w console`).
    const local = url.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(url.hostname);
    if (url.protocol !== 'https:' && !local) throw new ConfigError('consoleUrls', `"${value}" must be https:// (or http://localhost)`);
    if (url.search || url.hash) throw new ConfigError('consoleUrls', `"${value}" must have no query or fragment`);
    return url.href;
  });
}

/** Cognito's rule for a hosted UI prefix; `aws`, `amazon` and `cognito` are reserved. */
function parseDomainPrefix(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(raw) || /aws|amazon|cognito/.test(raw)) {
    throw new ConfigError('cognitoDomainPrefix', `"${raw}" must be 1-63 of a-z0-9 and inner hyphens, without aws, amazon or cognito`);
  }
  return raw;
}

function parseNumber(key: ContextKey, raw: string | undefined, fallback: number, rule: { integer: boolean; min: number }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const shaped = rule.integer ? /^\d+$/.test(raw) : /^\d+(\.\d+)?$/.test(raw);
  if (!shaped || value < rule.min) {
    throw new ConfigError(key, `"${raw}" must be ${rule.integer ? 'a whole number' : 'a number'} of at least ${rule.min}`);
  }
  return value;
}

function parseThrottle(
  rateKey: ContextKey,
  burstKey: ContextKey,
  raw: (key: ContextKey) => string | undefined,
  fallback: Throttle,
): Throttle {
  return {
    // API Gateway takes a fractional rate; the burst is a whole number of requests.
    rateLimit: parseNumber(rateKey, raw(rateKey), fallback.rateLimit, { integer: false, min: 0.001 }),
    burstLimit: parseNumber(burstKey, raw(burstKey), fallback.burstLimit, { integer: true, min: 1 }),
  };
}

function parseBoolean(key: ContextKey, raw: string | undefined): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(key, `"${raw}" must be true or false`);
}

function parseAccessLogFormat(raw: string | undefined): AccessLogFormatName {
  if (raw === undefined) return DEFAULT_ACCESS_LOG_FORMAT;
  const format = ACCESS_LOG_FORMAT_NAMES.find((name) => name === raw);
  if (!format) throw new ConfigError('accessLogFormat', `"${raw}" must be one of ${ACCESS_LOG_FORMAT_NAMES.join(', ')}`);
  return format;
}

function parseTableName(raw: string | undefined): string | undefined {
  if (raw !== undefined && !TABLE_NAME_PATTERN.test(raw)) throw new ConfigError('tableName', `"${raw}" must be 3-255 of a-z A-Z 0-9 _ . -`);
  return raw;
}

function parseOperatorPrincipal(raw: string | undefined): string | undefined {
  if (raw !== undefined && !IAM_PRINCIPAL_ARN_PATTERN.test(raw)) {
    throw new ConfigError('operatorPrincipalArn', `"${raw}" must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  return raw;
}

/**
 * Parses and validates the context. `get` is `(key) => node.tryGetContext(key)`, so tests can
 * pass a plain object lookup.
 */
export function parseConfig(get: (key: ContextKey) => unknown): KeywardConfig {
  const value = (key: ContextKey) => text(key, get(key));

  const stage = value('stage') ?? DEFAULT_STAGE;
  if (!STAGE_PATTERN.test(stage)) throw new ConfigError('stage', `"${stage}" must be 1-10 lower-case letters or digits`);

  const keyPrefix = value('keyPrefix') ?? DEFAULT_KEY_PREFIX;
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) {
    throw new ConfigError('keyPrefix', `"${keyPrefix}" must be 1-16 of a-z0-9 starting with a letter`);
  }

  let resourceCatalog: readonly string[];
  try {
    resourceCatalog = parseResourceCatalog(value('resourceCatalog'));
  } catch (error) {
    throw new ConfigError('resourceCatalog', (error as Error).message);
  }

  const sesSender = withMailFromDomain(parseSesSender(value('sesSender')), value('sesMailFromDomain'));
  const alarmEmail = value('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL_PATTERN.test(alarmEmail))
    throw new ConfigError('alarmEmail', `"${alarmEmail}" is not an email address`);
  const sesIdentityExists = parseBoolean('sesIdentityExists', value('sesIdentityExists'));
  if (sesIdentityExists && !sesSender) throw new ConfigError('sesIdentityExists', 'is only used with sesSender');
  if (sesIdentityExists && sesSender?.mailFromDomain) {
    throw new ConfigError('sesMailFromDomain', 'is set on an identity this stack creates; set it on the existing identity in SES instead');
  }
  // 0 means no reservation: a reserved concurrency of 0 would stop the authorizer altogether.
  const reserved = parseNumber(
    'authorizerReservedConcurrency',
    value('authorizerReservedConcurrency'),
    DEFAULT_AUTHORIZER_RESERVED_CONCURRENCY,
    {
      integer: true,
      min: 0,
    },
  );
  const tableName = parseTableName(value('tableName'));
  const operatorPrincipalArn = parseOperatorPrincipal(value('operatorPrincipalArn'));
  const adminIssuer = parseIssuer(value);
  // By default only when the identity was verified outside this stack: Cognito refuses one that is not verified yet.
  const adminInvitesFromSender =
    value('adminInvitesFromSender') === undefined
      ? sesIdentityExists && !adminIssuer
      : parseBoolean('adminInvitesFromSender', value('adminInvitesFromSender'));
  if (adminInvitesFromSender && !sesSender) throw new ConfigError('adminInvitesFromSender', 'is only used with sesSender');
  if (adminInvitesFromSender && adminIssuer) {
    throw new ConfigError(
      'adminInvitesFromSender',
      'is only used with the Cognito user pool (an external issuer sends its own invitations)',
    );
  }

  const props = stageProps(stage);
  return {
    ...props,
    keyPrefix,
    resourceCatalog,
    authorizerCacheTtlSeconds: parseCacheTtl(value('authorizerCacheTtlSeconds')),
    authorizerKeyCacheMs: parseKeyCacheMs(value('authorizerKeyCacheMs')),
    consoleUrls: parseConsoleUrls(value('consoleUrls')),
    ...(value('cognitoDomainPrefix') === undefined ? {} : { cognitoDomainPrefix: parseDomainPrefix(value('cognitoDomainPrefix')) }),
    consumerApiThrottle: parseThrottle('consumerApiRateLimit', 'consumerApiBurstLimit', value, DEFAULT_CONSUMER_API_THROTTLE),
    managementApiThrottle: parseThrottle('managementApiRateLimit', 'managementApiBurstLimit', value, DEFAULT_MANAGEMENT_API_THROTTLE),
    apiKeyHeaderOnly: parseBoolean('apiKeyHeaderOnly', value('apiKeyHeaderOnly')),
    secretScanningKeysUrl: httpsUrl('secretScanningKeysUrl', value('secretScanningKeysUrl') ?? GITHUB_SECRET_SCANNING_KEYS_URL),
    consumerApiTracing: parseBoolean('consumerApiTracing', value('consumerApiTracing')),
    accessLogFormat: parseAccessLogFormat(value('accessLogFormat')),
    sesIdentityExists,
    adminInvitesFromSender,
    manageApiGatewayAccount: parseBoolean('manageApiGatewayAccount', value('manageApiGatewayAccount')),
    exampleApi: value('exampleApi') === undefined ? props.isDevStage : parseBoolean('exampleApi', value('exampleApi')),
    ...(reserved > 0 ? { authorizerReservedConcurrency: reserved } : {}),
    ...(tableName ? { tableName } : {}),
    ...(operatorPrincipalArn ? { operatorPrincipalArn } : {}),
    ...(sesSender ? { sesSender } : {}),
    ...(adminIssuer ? { adminIssuer } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
  };
}
