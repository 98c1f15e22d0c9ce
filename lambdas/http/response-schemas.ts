import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../domain/audit-event';
import {
  AdminRoleRequired,
  ApiKeyLimitReached,
  ApiKeyNotFound,
  Conflict,
  InvalidJson,
  KeyLifetimeExceedsPolicy,
  LastNonExpiringApiKey,
  OrganizationNotFound,
  PayloadTooLarge,
  PreconditionFailed,
  RotationAlreadyScheduled,
  ValidationFailed,
} from '../domain/errors';
import { InvalidSignature, LEAKED_KEY_ACTIONS, SignatureKeysUnavailable } from '../domain/leak';
import { MODES } from '../domain/permissions';
import { defaultGatewayResponse, GATEWAY_RESPONSES } from './gateway-responses';

/**
 * Response schemas of the management API (API.md §3). Handlers return through them (an
 * operation's body type is `z.input` of its manifest row's `response`), and the OpenAPI document
 * is derived from them, so a generated client types exactly what the handlers send. Objects are
 * closed: a field the handlers add without describing it here fails the e2e check against the
 * document.
 */

/** An ISO-8601 UTC instant, as `Date.prototype.toISOString` writes it. */
const instant = (description: string) => z.string().meta({ format: 'date-time', description, examples: ['2026-11-26T04:00:00.000Z'] });

const permissions = z.record(z.string(), z.array(z.enum(MODES))).meta({
  description: 'Resource → modes. A resource that is absent, or `[]`, grants nothing.',
  examples: [{ customer: ['read', 'write'] }],
});

const apiKeyFields = z.object({
  id: z.string().meta({ description: 'The key id (a ULID)' }),
  organization_id: z.string(),
  name: z.string().nullable(),
  masked_value: z.string().meta({ description: 'The prefix, eight bullets and the last 4 characters', examples: ['kw_••••••••9fQz'] }),
  permissions,
  allowed_ips: z
    .array(z.string())
    .nullable()
    .meta({ description: 'The source addresses (CIDR blocks) the key may be used from; null: any', examples: [['203.0.113.0/24']] }),
  created_at: instant('When the key was created'),
  expires_at: instant(
    "When the key stops working: a pending scheduled rotation, or the key's own expiry (asked for, or the lifetime policy's); null: never",
  ).nullable(),
  expiry_source: z.enum(['rotation', 'request', 'policy']).nullable().meta({
    description:
      "Where `expires_at` comes from: `rotation`, a pending rotation (this is the old key: it cannot be changed, change its successor); `request`, asked for when the key was created or changed; `policy`, the organization's maximum lifetime. Null without an `expires_at`.",
  }),
  last_used_at: instant('The last authenticated request on a tracked route, at most 60 s behind').nullable(),
});

// Named schemas (`id`) become components of the OpenAPI document, referenced wherever they are used.
export const apiKeySchema = apiKeyFields.meta({ id: 'ApiKey' });

export const revealedApiKeySchema = apiKeyFields
  .extend({ value: z.string().meta({ description: 'The token. Shown by create, rotate (the new key) and reveal only; store it safely.' }) })
  .meta({ id: 'RevealedApiKey' });

const pageMeta = z.object({
  next_cursor: z.string().nullable().meta({ description: 'Pass as `?cursor=` for the next page; null on the last page' }),
});

export const apiKeyPageSchema = z.object({ api_keys: z.array(apiKeySchema), meta: pageMeta });
export const apiKeyResponseSchema = z.object({ api_key: apiKeySchema });
export const revealedApiKeyResponseSchema = z.object({ api_key: revealedApiKeySchema });
/** `api_key`: the new key, active at once, with the old key's name and permissions; `rotated_api_key`: the old key, with the `expires_at` it stops at. */
export const rotationResponseSchema = z.object({ api_key: revealedApiKeySchema, rotated_api_key: apiKeySchema });

const actorSchema = z.object({
  type: z.enum(['user', 'system', 'operator']).meta({
    description:
      '`user`: an admin through this API; `system`: keyward itself (a scheduled retirement); `operator`: a platform engineer through the CLI',
  }),
  email: z.string().optional().meta({ description: "The admin's email (`user`)" }),
  principal: z.string().optional().meta({ description: 'The AWS identity ARN, or `local` in local mode (`operator`)' }),
  user: z.string().optional().meta({ description: 'The OS user who ran the CLI (`operator`, local mode)' }),
});

/** What an audit event says beyond its type; never a token (API.md §3 Audit events). */
const detailsSchema = z
  .object({
    name: z.string().nullable().optional().meta({ description: "Every event: the key's name when it happened" }),
    masked_value: z.string().optional().meta({ description: "Every event: the key's masked token" }),
    permissions: permissions.optional().meta({ description: "`api_key.created`: the new key's permissions" }),
    allowed_ips: z.array(z.string()).optional().meta({ description: "`api_key.created`: the new key's allowlist, when it has one" }),
    changes: z
      .object({
        name: z.string().nullable().optional(),
        permissions: permissions.optional(),
        allowed_ips: z.array(z.string()).nullable().optional(),
        expires_at: instant('The new expiry; null: cleared').nullable().optional(),
      })
      .optional()
      .meta({ description: '`api_key.updated`: the fields that changed, with their new values' }),
    new_api_key_id: z.string().optional().meta({ description: "`api_key.rotated`, `api_key.leaked` (rotated): the new key's id" }),
    new_masked_value: z.string().optional().meta({ description: "`api_key.rotated`: the new key's masked token" }),
    expires_at: instant(
      '`api_key.rotated`: when the old key stops working (the event time for an instant rotation); `api_key.retired`, `api_key.expired`: when it stopped; `api_key.created`: when the new key expires; `api_key.expiry_reminder_sent`: when the key expires',
    )
      .nullable()
      .optional(),
    last_used_at: instant('`api_key.retired`, `api_key.expired`: when the key was last used (null: never)').nullable().optional(),
    mark_days: z.int().optional().meta({ description: '`api_key.expiry_reminder_sent`: the reminder mark, in days before `expires_at`' }),
    max_key_lifetime_days: z.int().nullable().optional().meta({ description: '`organization.settings_updated`: the new maximum lifetime' }),
    expiry_reminder_days: z.array(z.int()).optional().meta({ description: '`organization.settings_updated`: the new reminder marks' }),
    plan: z.string().optional().meta({ description: '`organization.plan_changed`: the new plan' }),
    previous_plan: z.string().optional().meta({ description: '`organization.plan_changed`: the plan before the change' }),
    leaked_key_action: z
      .enum(LEAKED_KEY_ACTIONS)
      .optional()
      .meta({ description: '`organization.settings_updated`: the new leaked-key action' }),
    source: z.string().optional().meta({ description: '`api_key.leaked`: where the token was found (e.g. `commit`, `gist`)' }),
    url: z.string().optional().meta({ description: '`api_key.leaked`: the public URL it was found at' }),
    action: z
      .enum(LEAKED_KEY_ACTIONS)
      .optional()
      .meta({ description: '`api_key.leaked`: `rotate` (rotated now) or `notify` (left working)' }),
    previous: z
      .object({
        max_key_lifetime_days: z.int().nullable(),
        expiry_reminder_days: z.array(z.int()),
        leaked_key_action: z.enum(LEAKED_KEY_ACTIONS).optional(),
      })
      .optional()
      .meta({ description: '`organization.settings_updated`: the settings before the change' }),
  })
  .meta({ description: 'Which key, and what changed; the fields present depend on `type`' });

export const auditEventSchema = z
  .object({
    id: z.string(),
    type: z.enum(AUDIT_EVENT_TYPES),
    occurred_at: instant('When it happened'),
    actor: actorSchema,
    api_key_id: z.string().nullable().meta({ description: 'The key the event is about; null for an event about the organization' }),
    details: detailsSchema,
  })
  .meta({ id: 'AuditEvent' });

export const auditEventPageSchema = z.object({ audit_events: z.array(auditEventSchema), meta: pageMeta });

/** `GET`/`PATCH …/settings`: the organization's key policy (API.md §8). */
export const organizationSettingsResponseSchema = z.object({
  settings: z
    .object({
      max_key_lifetime_days: z
        .int()
        .nullable()
        .meta({ description: 'New keys without an expiry get `created_at` + this many days, and none may live longer; null: no limit' }),
      expiry_reminder_days: z
        .array(z.int())
        .meta({ description: 'Days before a key expires at which the admins are reminded, largest first', examples: [[7, 1]] }),
      plan: z.string().meta({ description: "The organization's plan (API.md §9); operators change it (`keyward org set-plan`)" }),
      limits: z
        .object({
          rate: z.number().meta({ description: 'Requests per second, all keys of the organization together' }),
          burst: z.int().meta({ description: 'Requests allowed at once above the rate' }),
          quota: z
            .object({ limit: z.int(), period: z.enum(['day', 'week', 'month']) })
            .nullable()
            .meta({ description: 'Requests per UTC day, ISO week or calendar month; null: no quota' }),
        })
        .meta({ description: "The plan's limits: over them the consumer API answers 429 `throttled` or `quota_exceeded`" }),
      quota_used: z.int().nullable().meta({ description: 'Requests counted in the current quota window; null when the plan has no quota' }),
      leaked_key_action: z.enum(LEAKED_KEY_ACTIONS).meta({
        description: 'What a secret-scanning report of one of its keys does: `rotate` it now (default), or only `notify` the admins',
      }),
    })
    .meta({ id: 'OrganizationSettings' }),
});

/** `GET …/usage` (API.md §9): one entry per key and bucket with traffic, oldest first. */
export const usageResponseSchema = z.object({
  usage: z.array(
    z
      .object({
        start: z.string().meta({ description: "The bucket's start (UTC hour or day), ISO-8601" }),
        api_key_id: z.string(),
        allowed: z.int().meta({ description: 'Requests the authorizer allowed (whatever the backend answered)' }),
        denied: z.record(z.string(), z.int()).meta({
          description: 'Requests the authorizer denied, by code (e.g. `write_action_not_allowed_for_customer`, `ip_not_allowed`)',
        }),
        throttled: z.int().meta({ description: "Requests answered 429 by the organization's plan (rate or quota)" }),
      })
      .meta({ id: 'UsageBucket' }),
  ),
});

export const meSchema = z
  .object({
    email: z.string().meta({ description: "The caller's verified email, lower-cased" }),
    organizations: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          role: z.enum(['admin', 'member']).meta({ description: 'Only admins manage keys; a member sees the organization but gets 403' }),
        }),
      )
      .meta({ description: 'Every organization the caller is a member of, by id' }),
  })
  .meta({ id: 'Me' });

/** `GET /openapi.json`: this document (the console reads the permission catalog from it). */
export const openApiDocumentSchema = z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document' });

const gatewayCode = (answer: { body: string }): string => (JSON.parse(answer.body) as { code: string }).code;

/**
 * Every error the management API answers with, by status: the handlers' (domain errors, mapped in
 * http/errors.ts) and the gateway's own (gateway-responses.ts), with when each happens.
 */
export const ERROR_RESPONSES = {
  400: {
    id: 'BadRequest',
    codes: [new InvalidJson().code, gatewayCode(GATEWAY_RESPONSES.invalidPath), gatewayCode(defaultGatewayResponse(400))],
    description:
      '`invalid_json`: the body is not JSON. `invalid_path`: the path is not valid percent-encoding. `bad_request`: the gateway could not read the request.',
  },
  401: {
    id: 'Unauthorized',
    codes: [new InvalidSignature().code],
    description:
      'No valid admin JWT (missing, malformed, expired, another issuer or audience, no verified email). The body is exactly `{"status":401,"error":"Unauthorized"}`. `POST /v1/secret_scanning/github` only: `invalid_signature`, the report is not signed by a published key.',
  },
  403: {
    id: 'Forbidden',
    codes: [new AdminRoleRequired().code],
    description: '`admin_role_required`: the caller is a member of the organization, not an admin.',
  },
  404: {
    id: 'NotFound',
    codes: [new OrganizationNotFound().code, new ApiKeyNotFound().code, gatewayCode(GATEWAY_RESPONSES.managementRouteNotFound)],
    description:
      '`organization_not_found`: no such organization, or the caller is not a member of it. `api_key_not_found`: no such key in the organization. `route_not_found`: the API has no such method or path.',
  },
  409: {
    id: 'Conflict',
    codes: [new Conflict().code],
    description:
      '`conflict`: the change kept losing to concurrent changes of the same key or organization and gave up after bounded retries; nothing changed, safe to retry.',
  },
  412: {
    id: 'PreconditionFailed',
    codes: [new PreconditionFailed().code],
    description: '`precondition_failed`: `If-Match` names no version the key is at now; nothing changed.',
  },
  413: {
    id: 'PayloadTooLarge',
    codes: [new PayloadTooLarge().code, gatewayCode(GATEWAY_RESPONSES.requestTooLarge)],
    description:
      "`request_too_large`: a body over 16 KiB (1 MiB for a secret-scanning report; the function's limit) or over the gateway's 10 MB.",
  },
  422: {
    id: 'UnprocessableEntity',
    codes: [
      new ValidationFailed({}).code,
      new LastNonExpiringApiKey().code,
      new RotationAlreadyScheduled().code,
      new ApiKeyLimitReached().code,
      new KeyLifetimeExceedsPolicy().code,
    ],
    description:
      '`validation_errors`: the body, query or `If-Match` is invalid, with the reasons per field in `error_details`. A business rule: `last_non_expiring_api_key`, `rotation_already_scheduled`, `api_key_limit_reached`, `key_lifetime_exceeds_policy`.',
  },
  429: {
    id: 'TooManyRequests',
    codes: [gatewayCode(GATEWAY_RESPONSES.throttled)],
    description:
      "`throttled`: over the stage's rate or burst limit (the `managementApiRateLimit` and `managementApiBurstLimit` of the deployment); retry later.",
  },
  500: {
    id: 'InternalError',
    codes: [gatewayCode(GATEWAY_RESPONSES.authorizerFailure)],
    description: '`internal_error`: an unexpected failure (nothing about it is shown), or the authorizer could not decide.',
  },
  502: {
    id: 'BadGateway',
    codes: [gatewayCode(GATEWAY_RESPONSES.integrationFailure)],
    description: '`internal_error`: the function failed to answer.',
  },
  503: {
    id: 'ServiceUnavailable',
    codes: [new SignatureKeysUnavailable().code],
    description:
      "`signature_keys_unavailable`: the signer's public keys could not be fetched, so the report could not be checked; send it again later.",
  },
  504: {
    id: 'GatewayTimeout',
    codes: [gatewayCode(GATEWAY_RESPONSES.integrationTimeout)],
    description: '`timeout`: no answer within 29 s.',
  },
} as const satisfies Record<number, { id: string; codes: readonly string[]; description: string }>;

export type ErrorStatus = keyof typeof ERROR_RESPONSES;

const ERROR_CODES = [...new Set(Object.values(ERROR_RESPONSES).flatMap(({ codes }) => codes))] as [string, ...string[]];

export const errorSchema = z
  .object({
    status: z.int().min(400).max(599).meta({ description: 'The HTTP status, repeated' }),
    error: z.string().meta({ description: 'Its reason phrase', examples: ['Not Found'] }),
    code: z.enum(ERROR_CODES).optional().meta({ description: 'What went wrong, for programs (absent on 401); see each status' }),
    error_details: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .meta({ description: '`validation_errors` only: the reasons, by field', examples: [{ name: ['must be at most 100 characters'] }] }),
  })
  .meta({ id: 'Error' });

/** `POST /v1/secret_scanning/github`: one verdict per reported item, in order; names no organization or key (API.md §10). */
export const secretScanningVerdictsSchema = z
  .array(
    z.object({
      token_hash: z.string().meta({ description: 'SHA-256 hex of the reported token' }),
      token_type: z.string().meta({ description: 'The `type` of the reported item' }),
      label: z
        .enum(['true_positive', 'false_positive'])
        .meta({ description: '`true_positive`: a live key, or one an earlier report already rotated' }),
    }),
  )
  .meta({ id: 'SecretScanningVerdicts' });
