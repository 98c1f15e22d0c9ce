import type { AdminClaimRules } from '../lambdas/domain/admin-claims';
import { GITHUB_SECRET_SCANNING_KEYS_URL } from '../lambdas/domain/leak';
import { parseResourceCatalog } from '../lambdas/domain/permissions';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from '../lambdas/domain/token';
import type { AccessLogFormatName } from '../lambdas/observability/access-log-fields';
import {
  ConfigError,
  EMAIL_PATTERN,
  httpsUrl,
  parseAccessLogFormat,
  parseBoolean,
  parseCacheTtl,
  parseConsoleUrls,
  parseDomainPrefix,
  parseIssuer,
  parseKeyCacheMs,
  parseNumber,
  parseOperatorPrincipal,
  parseSesSender,
  parseTableName,
  parseThrottle,
  text,
  withMailFromDomain,
} from './config-values';
import { STAGE_PATTERN, type StageProps, stageProps } from './stage';

export { ConfigError, DOMAIN_SENDER_LOCAL_PART, MAX_AUTHORIZER_CACHE_TTL_SECONDS, MAX_AUTHORIZER_KEY_CACHE_MS } from './config-values';

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
