import { DomainError } from './errors';

/**
 * Leaked keys (API.md §10): what a secret-scanning report says about one token, what an
 * organization does about it, and the once-only record of a report that was acted on.
 */

/** What an organization does with a key found in public: rotate it now (default), or only tell its admins. */
export const LEAKED_KEY_ACTIONS = ['rotate', 'notify'] as const;
export type LeakedKeyAction = (typeof LEAKED_KEY_ACTIONS)[number];
export const DEFAULT_LEAKED_KEY_ACTION: LeakedKeyAction = 'rotate';

/** GitHub's secret-scanning public keys: the default signer of reports. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

/** At most this many tokens in one report (API.md §10). */
export const MAX_LEAK_REPORT_TOKENS = 1000;
/** A report's body is at most 1 MiB (API.md §10). */
export const MAX_LEAK_REPORT_BYTES = 1024 * 1024;

/** One item of a report, as GitHub sends it. */
export interface LeakReportItem {
  token: string;
  type: string;
  url: string;
  source: string;
}

export type LeakLabel = 'true_positive' | 'false_positive';

/** The answer for one item: never names an organization or a key. */
export interface LeakVerdict {
  token_hash: string;
  token_type: string;
  label: LeakLabel;
}

/**
 * The record that a token's leak was acted on, keyed by the token's hash: written in the same
 * transaction as what the report did (the rotation, or the notice's audit event), on the
 * condition that none exists, so a redelivered or repeated report changes nothing more and sends
 * no second email. It outlives the rotated key, so a later report of the dead token is still a
 * true positive. Holds no token.
 */
export interface LeakRecord {
  tokenHash: string;
  organizationId: string;
  apiKeyId: string;
  action: LeakedKeyAction;
  /** The replacement key when the report rotated the key. */
  newApiKeyId: string | null;
  reportedAt: string;
  source: string;
  url: string;
}

/**
 * The leak of this token was already recorded (a concurrent or earlier report won): the store
 * wrote nothing. Internal: the leak service answers `true_positive` and never lets it out.
 */
export class LeakAlreadyRecorded extends DomainError {
  readonly status = 409;
  readonly code = 'leak_already_recorded';
}

/** The body's signature is missing, malformed, by an unknown key, or wrong (API.md §10). */
export class InvalidSignature extends DomainError {
  readonly status = 401;
  readonly code = 'invalid_signature';
}

/** The signer's public keys could not be fetched: the report cannot be checked now, so the sender should retry. */
export class SignatureKeysUnavailable extends DomainError {
  readonly status = 503;
  readonly code = 'signature_keys_unavailable';
}
