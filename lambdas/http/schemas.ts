import { z } from 'zod';
import { allowedIpsSchema } from '../domain/allowed-ips';
import { EXPIRES_IN, MAX_NAME_LENGTH, type RotationRequest } from '../domain/api-key';
import { KEY_EXPIRES_IN, MAX_KEY_LIFETIME_DAYS, MAX_REMINDER_DAYS, MAX_REMINDER_MARKS, sortReminderDays } from '../domain/expiry';
import { LEAKED_KEY_ACTIONS, MAX_LEAK_REPORT_TOKENS } from '../domain/leak';
import { permissionsSchema } from '../domain/permissions';
import { CONTROL_CHARACTERS_REASON, containsControlCharacters } from '../domain/text';
import { containsTokenShape } from '../domain/token';

/**
 * Request schemas of the management API (API.md §3), the single source for validation. Objects
 * are strict: an unknown field is a 422, never silently ignored.
 */

/**
 * `name`: up to 100 characters after trimming; `""` (or only spaces) clears it to null. A name
 * that holds something shaped like an API key is refused (API.md §3): names are listed, logged
 * by clients and emailed, so a key pasted into one would leak. The reason never repeats the value.
 * Control and bidirectional formatting characters are refused anywhere, even where trimming would
 * drop them (API.md §3): a name is never something that acts on what displays it.
 */
export const nameSchema = z
  .string({ error: 'must be a string or null' })
  .refine((name) => !containsControlCharacters(name), CONTROL_CHARACTERS_REASON)
  .trim()
  .refine((name) => [...name].length <= MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .refine((name) => !containsTokenShape(name), 'must not contain an API key')
  // A lone surrogate (JSON can escape one) is no text: DynamoDB, SES and browsers may each reject or mangle it.
  .refine((name) => !/\p{Cs}/u.test(name), 'must be valid Unicode text')
  .transform((name) => (name === '' ? null : name))
  .nullable();

const expiresAtSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a timezone, e.g. 2026-11-27T04:00:00Z' })
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a valid date');

/** One schema per catalog and kind, so the OpenAPI document names each once. */
const bodySchemas = new Map<string, z.ZodType>();

function perCatalog<S extends z.ZodType>(kind: string, catalog: readonly string[], build: () => S): S {
  const key = `${kind}:${catalog.join(',')}`;
  let schema = bodySchemas.get(key);
  if (!schema) {
    schema = build();
    bodySchemas.set(key, schema);
  }
  return schema as S;
}

/** `expires_in` and `expires_at` say the same thing two ways: a body gives one at most. */
function oneExpiry(body: { expires_in?: unknown; expires_at?: unknown }, ctx: z.RefinementCtx): void {
  if (body.expires_in !== undefined && body.expires_at !== undefined) {
    const message = 'give either expires_in or expires_at, not both';
    ctx.addIssue({ code: 'custom', path: ['expires_in'], message });
    ctx.addIssue({ code: 'custom', path: ['expires_at'], message });
  }
}

const fields = (catalog: readonly string[]) => ({
  name: nameSchema.optional(),
  permissions: permissionsSchema(catalog).optional(),
  allowed_ips: allowedIpsSchema.optional(),
});

/**
 * Body of update (`PATCH …/api_keys/{id}`): every field optional, an omitted one stays unchanged;
 * `expires_at` sets or moves the key's own expiry, `null` clears it (API.md §8). Named
 * `ApiKeyFields` in the OpenAPI document, where the console reads the catalog from.
 */
export function apiKeyFieldsSchema(catalog: readonly string[]) {
  return perCatalog('fields', catalog, () =>
    z
      .strictObject({
        ...fields(catalog),
        expires_at: expiresAtSchema
          .nullable()
          .optional()
          .meta({ description: 'When the key stops working (in the future); null: never. Not for a key with a pending rotation.' }),
      })
      .meta({ id: 'ApiKeyFields' }),
  );
}

/**
 * Body of create (`POST …/api_keys`): an omitted field takes its default, and at most one of
 * `expires_in` / `expires_at` makes the key expire (API.md §8).
 */
export function newApiKeySchema(catalog: readonly string[]) {
  return perCatalog('new', catalog, () =>
    z
      .strictObject({
        ...fields(catalog),
        expires_in: z.enum(KEY_EXPIRES_IN, { error: `must be one of ${KEY_EXPIRES_IN.join(', ')}` }).optional(),
        expires_at: expiresAtSchema.optional().meta({ description: 'When the key stops working; must be in the future' }),
      })
      .superRefine(oneExpiry)
      .meta({ id: 'NewApiKey' }),
  );
}

const LIFETIME_REASON = `must be a whole number of days from 1 to ${MAX_KEY_LIFETIME_DAYS}, or null`;
const REMINDER_REASON = `must be whole days from 1 to ${MAX_REMINDER_DAYS}`;

/** Body of `PATCH /v1/organizations/{organization_id}/settings`: the fields given replace the current ones. */
export const organizationSettingsPatchSchema = z
  .strictObject({
    max_key_lifetime_days: z
      .int({ error: LIFETIME_REASON })
      .min(1, LIFETIME_REASON)
      .max(MAX_KEY_LIFETIME_DAYS, LIFETIME_REASON)
      .nullable()
      .optional()
      .meta({ description: 'New keys expire at most this many days after their creation; null: no limit' }),
    expiry_reminder_days: z
      .array(z.int({ error: REMINDER_REASON }).min(1, REMINDER_REASON).max(MAX_REMINDER_DAYS, REMINDER_REASON), {
        error: 'must be a list of whole days',
      })
      .max(MAX_REMINDER_MARKS, `must hold at most ${MAX_REMINDER_MARKS} marks`)
      .refine((days) => new Set(days).size === days.length, 'must not repeat a mark')
      .transform(sortReminderDays)
      .optional()
      .meta({ description: 'How many days before a key expires the admins are reminded; [] for never' }),
    leaked_key_action: z
      .enum(LEAKED_KEY_ACTIONS, { error: `must be one of ${LEAKED_KEY_ACTIONS.join(', ')}` })
      .optional()
      .meta({ description: 'What a report of a key found in public does: `rotate` it now, or only `notify` the admins' }),
  })
  .meta({ id: 'OrganizationSettingsChanges' });
export type OrganizationSettingsPatch = z.infer<typeof organizationSettingsPatchSchema>;

/**
 * Body of `POST …/api_keys/{id}/rotate`: exactly one of `expires_in` or `expires_at`. An empty
 * body means `{"expires_in":"now"}`, which is Lago's default for a roll: the old key stops at
 * once. How far ahead `expires_at` may be (7 days) is a domain rule (`rotationExpiry`).
 */
export const rotateApiKeySchema = z
  .strictObject({
    expires_in: z.enum(EXPIRES_IN, { error: `must be one of ${EXPIRES_IN.join(', ')}` }).optional(),
    expires_at: expiresAtSchema.optional(),
  })
  .superRefine(oneExpiry)
  .transform(
    (body): RotationRequest => (body.expires_at !== undefined ? { expires_at: body.expires_at } : { expires_in: body.expires_in ?? 'now' }),
  )
  .meta({ id: 'Rotation' });
export type RotateApiKeyBody = z.infer<typeof rotateApiKeySchema>;

/** Largest (and default) page of the list calls. */
export const MAX_PAGE_SIZE = 100;
const LIMIT_REASON = `must be an integer from 1 to ${MAX_PAGE_SIZE}`;

/** `?limit=&cursor=` of the list calls; other query parameters are ignored. */
export const pageQuerySchema = z.object({
  // Query values arrive as text: only 1-3 digits become a number, anything else is refused as it is.
  limit: z
    .preprocess(
      (limit) => (typeof limit === 'string' && /^\d{1,3}$/.test(limit) ? Number(limit) : limit),
      z.int({ error: LIMIT_REASON }).min(1, LIMIT_REASON).max(MAX_PAGE_SIZE, LIMIT_REASON),
    )
    .default(MAX_PAGE_SIZE)
    .meta({ description: `How many items a page holds, 1 to ${MAX_PAGE_SIZE}`, override: { default: MAX_PAGE_SIZE } }),
  cursor: z
    .string()
    .min(1, 'must not be empty')
    .max(2048, 'is not a cursor this API issued')
    .optional()
    .meta({ description: "The previous page's `meta.next_cursor`" }),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** One text of a secret-scanning report: generous, but bounded so a report cannot make the audit log hold megabytes. */
const reportText = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/**
 * Body of `POST /v1/secret_scanning/github` (API.md §10), read only once its signature is
 * verified: GitHub's report, at most 1,000 items. Fields GitHub may add later are ignored.
 */
export const secretScanningReportSchema = z
  .array(
    z.object({
      token: reportText(1024).meta({ description: 'The string found in public' }),
      type: reportText(256).meta({ description: "The partner's token type the match was made for" }),
      url: reportText(4096).meta({ description: 'Where it was found' }),
      source: reportText(256).meta({ description: 'What kind of place: `commit`, `gist`, `issue_comment`, …' }),
    }),
  )
  .max(MAX_LEAK_REPORT_TOKENS, `must hold at most ${MAX_LEAK_REPORT_TOKENS} items`)
  .meta({ id: 'SecretScanningReport' });
export type SecretScanningReport = z.infer<typeof secretScanningReportSchema>;

const usageInstantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a timezone, e.g. 2026-11-27T04:00:00Z' })
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a valid date');

/**
 * `GET …/usage` (API.md §9): `[from, to)`, buckets of `granularity` (default hour), one key's
 * buckets with `api_key_id`. Without `to`, now; without `from`, 24 hours (hour) or 30 days (day)
 * before `to`. The span limits are the usage service's (domain/usage.ts).
 */
export const usageQuerySchema = z.object({
  from: usageInstantSchema.optional().meta({
    description: 'Start of the range (inclusive, rounded down to its bucket); default: 24 hours (hour) or 30 days (day) before `to`',
  }),
  to: usageInstantSchema.optional().meta({ description: 'End of the range (exclusive); default: now' }),
  granularity: z
    .enum(['hour', 'day'], { error: 'must be hour or day' })
    .default('hour')
    .meta({ description: 'Bucket size: hour (at most 31 days per call) or day (at most 400 days)', override: { default: 'hour' } }),
  api_key_id: z
    .string()
    .regex(/^[0-9A-Za-z]{1,64}$/, 'is not an API key id')
    .optional()
    .meta({ description: "Only this key's buckets" }),
});
export type UsageQueryParameters = z.infer<typeof usageQuerySchema>;
