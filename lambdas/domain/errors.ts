/**
 * Typed errors. Each carries its HTTP status and API code; `lambdas/http/errors.ts` is the one
 * place that turns them into response bodies (API.md §3).
 */
export type ErrorDetails = Record<string, string[]>;

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;

  constructor(message?: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ApiKeyNotFound extends DomainError {
  readonly status = 404;
  readonly code = 'api_key_not_found';
}

export class OrganizationNotFound extends DomainError {
  readonly status = 404;
  readonly code = 'organization_not_found';
}

export class AdminRoleRequired extends DomainError {
  readonly status = 403;
  readonly code = 'admin_role_required';
}

/**
 * The request's `If-Match` names no version the key has now (API.md §3 "Concurrent changes"):
 * someone changed the key since the client read it, and nothing was changed.
 */
export class PreconditionFailed extends DomainError {
  readonly status = 412;
  readonly code = 'precondition_failed';
}

export class LastNonExpiringApiKey extends DomainError {
  readonly status = 422;
  readonly code = 'last_non_expiring_api_key';
}

/** An organization keeps at least one admin: they manage its keys and receive its emails. */
export class LastAdmin extends DomainError {
  readonly status = 422;
  readonly code = 'last_admin';
}

export class RotationAlreadyScheduled extends DomainError {
  readonly status = 422;
  readonly code = 'rotation_already_scheduled';
}

/** A new or changed key would live longer than the organization's `max_key_lifetime_days` (API.md §8). */
export class KeyLifetimeExceedsPolicy extends DomainError {
  readonly status = 422;
  readonly code = 'key_lifetime_exceeds_policy';
}

export class ApiKeyLimitReached extends DomainError {
  readonly status = 422;
  readonly code = 'api_key_limit_reached';
}

export class OrganizationAlreadyExists extends DomainError {
  readonly status = 422;
  readonly code = 'organization_already_exists';
}

export class ValidationFailed extends DomainError {
  readonly status = 422;
  readonly code = 'validation_errors';

  constructor(readonly details: ErrorDetails) {
    super('validation failed');
  }
}

export class InvalidJson extends DomainError {
  readonly status = 400;
  readonly code = 'invalid_json';
}

/**
 * A body over the handlers' 16 KiB: the same code as the gateway's own 413 (over 10 MB), so a
 * client has one code for "too large" whichever layer refused (API.md §3 Limits).
 */
export class PayloadTooLarge extends DomainError {
  readonly status = 413;
  readonly code = 'request_too_large';
}

/**
 * A change kept losing to concurrent changes of the same key or organization and gave up after
 * the bounded retries, having changed nothing: safe to retry (API.md §3 "Concurrent changes").
 */
export class Conflict extends DomainError {
  readonly status = 409;
  readonly code = 'conflict';

  constructor(message = 'changed concurrently, retry') {
    super(message);
  }
}

/** The JWT (or another credential) is missing or invalid. Body carries no code (API.md §3). */
export class Unauthenticated extends DomainError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** `keyward org set-plan` named a plan the deployment does not have (API.md §9): bad input. */
export class PlanNotFound extends ValidationFailed {
  constructor(plan: string, known: readonly string[]) {
    super({ plan: [`${JSON.stringify(plan)} is not a plan of this deployment; its plans: ${known.join(', ')}`] });
  }
}
