import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DynamoDbKeyStore } from './adapters/dynamodb/key-store';
import { type AdminClaimRules, adminEmailOf, DEFAULT_ADMIN_CLAIMS } from './domain/admin-claims';
import { type Clock, systemClock } from './domain/clock';
import { ORGANIZATION_ID_PATTERN } from './domain/organization';
import type { KeyStore, Role } from './domain/ports';
import { bearerCredential, headerValue, policy, routeArn, unauthorized } from './http/authorizer';
import { pathParameter } from './http/path';
import { logger } from './observability/logger';
import { adminAuthConfig, tableConfig } from './runtime/config';

/**
 * The management API's authorizer (API.md §3): verifies the admin's OIDC ID token (Cognito in
 * AWS, the dev issuer locally) and resolves the caller's role in the organization of the path.
 */

/** The caller's role in the path's organization; `none` when the organization is unknown or the caller is not a member. */
export type CallerRole = Role | 'none';

export interface AdminIdentity {
  /** As the token carries it; the membership lookup lower-cases it. */
  email: string;
}

/** Resolves a verified identity from a JWT, or throws when the token is not acceptable. */
export type VerifyAdminToken = (jwt: string) => Promise<AdminIdentity>;

export interface JwtVerifierOptions {
  /** The issuer's public keys: `createRemoteJWKSet` in the handler, any JWKS in tests. */
  keys: JWTVerifyGetKey;
  issuer: string;
  /** The client ids whose ID tokens are accepted (the console's; with Cognito, also the scripts' client). */
  audience: string | readonly string[];
  /** Which claims carry the admin's email and vouch for it. @default DEFAULT_ADMIN_CLAIMS */
  claims?: AdminClaimRules;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * A signed, current token from the trusted issuer that lacks what the deployment's claim rules
 * require: usually a configuration to fix (an issuer that names the email differently, or vouches
 * for it with another claim), so it is logged with the claim names the token does carry.
 */
export class AdminClaimRefused extends Error {
  constructor(
    readonly claim: string,
    readonly problem: string,
    /** The names (never the values) of the token's claims. */
    readonly claimsPresent: readonly string[],
  ) {
    super(`token claim "${claim}" is ${problem}`);
    this.name = 'AdminClaimRefused';
  }
}

/** Cognito signs with RS256; the local dev issuer with ES256. Nothing else (and never `none`) is accepted. */
const ALGORITHMS = ['RS256', 'ES256'];

/** How far the issuer's clock may be from ours, in seconds, for every time claim (`exp`, `nbf`, `iat`). */
export const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * Signature, `iss`, `aud`, `exp` and `nbf` via jose; an `iat` that is not in the future; an ID
 * token, not an access token; then a verified email, by the deployment's claim rules (Cognito's
 * `email` and `email_verified` by default; see domain/admin-claims.ts for other issuers).
 *
 * `token_use` is Cognito's: `id` on ID tokens, `access` on access tokens (which also carry no
 * `aud`, so they fail the audience check first; this rule does not depend on that). Cognito sets
 * it on every token and the dev issuer sets `id`, so for both the rule is strict; an OIDC issuer
 * that does not use the claim omits it, and its ID tokens are told apart by `aud`.
 */
export function createJwtVerifier(options: JwtVerifierOptions): VerifyAdminToken {
  const clock = options.clock ?? systemClock;
  const claims = options.claims ?? DEFAULT_ADMIN_CLAIMS;
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  return async (jwt) => {
    const now = clock.now();
    const { payload } = await jwtVerify(jwt, options.keys, {
      issuer: options.issuer,
      audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    });
    // jose checks `iat` only together with a maximum token age, which `exp` already bounds.
    if (payload.iat! > now.getTime() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new Error('token is issued in the future');
    if (payload.token_use !== undefined && payload.token_use !== 'id') throw new Error('token is not an ID token');
    const found = adminEmailOf(payload, claims);
    if (found.kind === 'refused') throw new AdminClaimRefused(found.claim, found.problem, Object.keys(payload).sort());
    return { email: found.email };
  };
}

export interface AdminAuthorizerDeps {
  store: Pick<KeyStore, 'getMember'>;
  verify: VerifyAdminToken;
}

export type AdminAuthorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export function createAdminAuthorizer(deps: AdminAuthorizerDeps): AdminAuthorizer {
  return async (event) => {
    const jwt = bearerCredential(headerValue(event.headers, 'authorization'));
    if (jwt === undefined) throw unauthorized();
    let identity: AdminIdentity;
    try {
      identity = await deps.verify(jwt);
    } catch (error) {
      if (error instanceof AdminClaimRefused) {
        logger.warn('admin token refused: a required claim is missing or not as configured', {
          claim: error.claim,
          problem: error.problem,
          claims_present: error.claimsPresent,
          hint: 'an external issuer names its claims with adminEmailClaim and adminEmailVerifiedClaim (README, "Admin sign-in")',
        });
      } else {
        logger.info('admin token rejected', { reason: error instanceof Error ? error.message : String(error) });
      }
      throw unauthorized();
    }

    const email = identity.email.toLowerCase();
    const organizationId = pathParameter(event, 'organization_id');
    // A path value that cannot be an organization id names none: no lookup, and no key too long
    // or too odd for the table to take (which would fail the read, a 500 instead of a 404).
    const member =
      organizationId !== undefined && ORGANIZATION_ID_PATTERN.test(organizationId)
        ? await deps.store.getMember(organizationId, email)
        : undefined;
    const role: CallerRole = member?.role ?? 'none';
    // Allowed even for `none` and `member`: an authorizer can only answer 401 or 403, yet the
    // contract wants 404 organization_not_found for a non-member (so that organizations cannot be
    // probed), so the management handlers turn `none` into 404 and `member` into 403.
    // The route, not the request (`…/DELETE/v1/organizations/*/api_keys/*`): a method ARN grows
    // with the path's ids, and AWS takes a policy Resource of at most 512 characters. The role
    // travels in the context, not in the policy; this is sound because API Gateway caches no
    // result for this authorizer (lib/constructs/management-api.ts, TTL 0): a cache keyed by the
    // token alone would replay one organization's role for another, route-scoped or not.
    return policy('Allow', email, routeArn(event.methodArn, event.resource), { email, role });
  };
}

const auth = adminAuthConfig();
const table = tableConfig();
const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient(table.DYNAMODB_ENDPOINT ? { endpoint: table.DYNAMODB_ENDPOINT } : {}),
);
// Module level, so the JWKS is fetched once per container and cached across invocations.
const jwks = createRemoteJWKSet(new URL(auth.ADMIN_JWKS_URL ?? `${auth.ADMIN_JWT_ISSUER.replace(/\/$/, '')}/.well-known/jwks.json`));

export const handler: AdminAuthorizer = createAdminAuthorizer({
  store: new DynamoDbKeyStore(documentClient, table.TABLE_NAME),
  verify: createJwtVerifier({ keys: jwks, issuer: auth.ADMIN_JWT_ISSUER, audience: auth.ADMIN_JWT_AUDIENCE, claims: auth.claims }),
});
