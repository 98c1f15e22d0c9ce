/**
 * Which claims of an admin's OIDC ID token say who the admin is (API.md §3: "a verified email").
 * Issuers differ: Cognito and Google put the address in `email` and vouch for it with
 * `email_verified: true`; Microsoft Entra ID never sends `email_verified` for work accounts, and
 * vouches for the address's domain with the optional claim `xms_edov` instead. The deployment
 * names the claims of its issuer (lib/config.ts: `adminEmailClaim`, `adminEmailVerifiedClaim`).
 */
export interface AdminClaimRules {
  /** The claim that holds the admin's email address. */
  readonly email: string;
  /**
   * A claim that must be the boolean `true` for the address to be trusted, or null when the issuer
   * vouches for every address it puts in `email` (an issuer whose addresses only its own
   * administrators assign).
   */
  readonly emailVerified: string | null;
}

/** Cognito's (and Google's, and the local dev issuer's) claims. */
export const DEFAULT_ADMIN_CLAIMS: AdminClaimRules = { email: 'email', emailVerified: 'email_verified' };

/** How the configuration says "no verification claim": `adminEmailVerifiedClaim=none`. */
export const NO_EMAIL_VERIFIED_CLAIM = 'none';

/** A JWT claim name as issuers spell them: `email`, `cognito:username`, `https://example.com/email`. */
export const CLAIM_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

export type AdminEmailResult =
  | { kind: 'email'; email: string }
  | {
      kind: 'refused';
      /** The configured claim the token does not satisfy. */
      claim: string;
      problem: 'missing' | 'not an email address' | 'not true';
    };

/**
 * The admin's email from a token's verified payload under `rules`, or which claim refuses it.
 * Strict on purpose: a verification claim must be the boolean `true` (not the string "true").
 */
export function adminEmailOf(payload: Readonly<Record<string, unknown>>, rules: AdminClaimRules): AdminEmailResult {
  const email = payload[rules.email];
  if (email === undefined || email === '') return { kind: 'refused', claim: rules.email, problem: 'missing' };
  if (typeof email !== 'string' || !EMAIL_SHAPE.test(email))
    return { kind: 'refused', claim: rules.email, problem: 'not an email address' };
  if (rules.emailVerified !== null) {
    const verified = payload[rules.emailVerified];
    if (verified === undefined) return { kind: 'refused', claim: rules.emailVerified, problem: 'missing' };
    if (verified !== true) return { kind: 'refused', claim: rules.emailVerified, problem: 'not true' };
  }
  return { kind: 'email', email };
}
