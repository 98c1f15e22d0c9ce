/**
 * The checks of each context value (config.ts reads the context and assembles the configuration):
 * a value of the wrong shape fails with a ConfigError naming its key.
 */
import { CLAIM_NAME_PATTERN, DEFAULT_ADMIN_CLAIMS, NO_EMAIL_VERIFIED_CLAIM } from '../lambdas/domain/admin-claims';
import { ACCESS_LOG_FORMAT_NAMES, type AccessLogFormatName, DEFAULT_ACCESS_LOG_FORMAT } from '../lambdas/observability/access-log-fields';
import type { ContextKey, ExternalIssuer, SesSender, Throttle } from './config';

export const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;
/** Kept under the 60 s `last_used_at` window, and short because it is the revocation lag. */
export const MAX_AUTHORIZER_KEY_CACHE_MS = 60_000;
/** DynamoDB's rule for table names. */
const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;
const IAM_PRINCIPAL_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/** Local part used with a domain identity. */
export const DOMAIN_SENDER_LOCAL_PART = 'no-reply';

export const EMAIL_PATTERN = /^[^\s@]+@([a-z0-9-]+\.)+[a-z]{2,}$/i;
const DOMAIN_PATTERN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i;

export class ConfigError extends Error {
  constructor(key: ContextKey, problem: string) {
    super(`invalid context "${key}": ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Context values arrive as strings from `-c`, or as JSON values (strings, numbers, booleans) from `cdk.json`. */
export function text(key: ContextKey, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new ConfigError(key, 'must be a string');
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

export function httpsUrl(key: ContextKey, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(key, 'must be an https:// URL');
  return value.replace(/\/+$/, '');
}

export function parseSesSender(raw: string | undefined): SesSender | undefined {
  if (raw === undefined) return undefined;
  if (EMAIL_PATTERN.test(raw)) return { kind: 'email', identity: raw, fromAddress: raw };
  if (DOMAIN_PATTERN.test(raw)) {
    const domain = raw.toLowerCase();
    return { kind: 'domain', identity: domain, fromAddress: `${DOMAIN_SENDER_LOCAL_PART}@${domain}` };
  }
  throw new ConfigError('sesSender', `"${raw}" is neither an email address nor a domain`);
}

export function withMailFromDomain(sender: SesSender | undefined, raw: string | undefined): SesSender | undefined {
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

export function parseIssuer(value: (key: ContextKey) => string | undefined): ExternalIssuer | undefined {
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

export function parseCacheTtl(raw: string | undefined): number {
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

export function parseKeyCacheMs(raw: string | undefined): number {
  if (raw === undefined) return 0;
  if (!/^\d+$/.test(raw)) throw new ConfigError('authorizerKeyCacheMs', `"${raw}" is not a whole number of milliseconds`);
  const ms = Number(raw);
  if (ms > MAX_AUTHORIZER_KEY_CACHE_MS) {
    throw new ConfigError('authorizerKeyCacheMs', `must be 0-${MAX_AUTHORIZER_KEY_CACHE_MS}, got ${ms}`);
  }
  return ms;
}

export function parseConsoleUrls(raw: string | undefined): string[] {
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
export function parseDomainPrefix(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(raw) || /aws|amazon|cognito/.test(raw)) {
    throw new ConfigError('cognitoDomainPrefix', `"${raw}" must be 1-63 of a-z0-9 and inner hyphens, without aws, amazon or cognito`);
  }
  return raw;
}

export function parseNumber(key: ContextKey, raw: string | undefined, fallback: number, rule: { integer: boolean; min: number }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const shaped = rule.integer ? /^\d+$/.test(raw) : /^\d+(\.\d+)?$/.test(raw);
  if (!shaped || value < rule.min) {
    throw new ConfigError(key, `"${raw}" must be ${rule.integer ? 'a whole number' : 'a number'} of at least ${rule.min}`);
  }
  return value;
}

export function parseThrottle(
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

export function parseBoolean(key: ContextKey, raw: string | undefined): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(key, `"${raw}" must be true or false`);
}

export function parseAccessLogFormat(raw: string | undefined): AccessLogFormatName {
  if (raw === undefined) return DEFAULT_ACCESS_LOG_FORMAT;
  const format = ACCESS_LOG_FORMAT_NAMES.find((name) => name === raw);
  if (!format) throw new ConfigError('accessLogFormat', `"${raw}" must be one of ${ACCESS_LOG_FORMAT_NAMES.join(', ')}`);
  return format;
}

export function parseTableName(raw: string | undefined): string | undefined {
  if (raw !== undefined && !TABLE_NAME_PATTERN.test(raw)) throw new ConfigError('tableName', `"${raw}" must be 3-255 of a-z A-Z 0-9 _ . -`);
  return raw;
}

export function parseOperatorPrincipal(raw: string | undefined): string | undefined {
  if (raw !== undefined && !IAM_PRINCIPAL_ARN_PATTERN.test(raw)) {
    throw new ConfigError('operatorPrincipalArn', `"${raw}" must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  return raw;
}
