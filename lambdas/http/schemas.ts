import { z } from 'zod';
import { EXPIRES_IN, MAX_NAME_LENGTH, type RotationRequest } from '../domain/api-key';
import { permissionsSchema } from '../domain/permissions';
import { containsTokenShape } from '../domain/token';

/**
 * Request schemas of the management API (API.md §3), the single source for validation. Objects
 * are strict: an unknown field is a 422, never silently ignored.
 */

/**
 * `name`: up to 100 characters after trimming; `""` (or only spaces) clears it to null. A name
 * that holds something shaped like an API key is refused (API.md §3): names are listed, logged
 * by clients and emailed, so a key pasted into one would leak. The reason never repeats the value.
 */
export const nameSchema = z
  .string({ error: 'must be a string or null' })
  .trim()
  .refine((name) => [...name].length <= MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .refine((name) => !containsTokenShape(name), 'must not contain an API key')
  // A lone surrogate (JSON can escape one) is no text: DynamoDB, SES and browsers may each reject or mangle it.
  .refine((name) => !/\p{Cs}/u.test(name), 'must be valid Unicode text')
  .transform((name) => (name === '' ? null : name))
  .nullable();

const fieldsSchemas = new Map<string, ReturnType<typeof buildApiKeyFieldsSchema>>();

function buildApiKeyFieldsSchema(catalog: readonly string[]) {
  return z
    .strictObject({
      name: nameSchema.optional(),
      permissions: permissionsSchema(catalog).optional(),
    })
    .meta({ id: 'ApiKeyFields' });
}

/**
 * Body of create (`POST …/api_keys`) and update (`PATCH …/api_keys/{id}`): both fields optional.
 * On create an omitted field takes its default; on update it stays unchanged. One schema per
 * catalog, so the OpenAPI document names it once (`ApiKeyFields`, where the console reads the
 * catalog from).
 */
export function apiKeyFieldsSchema(catalog: readonly string[]) {
  const key = catalog.join(',');
  let schema = fieldsSchemas.get(key);
  if (!schema) {
    schema = buildApiKeyFieldsSchema(catalog);
    fieldsSchemas.set(key, schema);
  }
  return schema;
}

const expiresAtSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a timezone, e.g. 2026-11-27T04:00:00Z' })
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a valid date');

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
  .superRefine((body, ctx) => {
    if (body.expires_in !== undefined && body.expires_at !== undefined) {
      const message = 'give either expires_in or expires_at, not both';
      ctx.addIssue({ code: 'custom', path: ['expires_in'], message });
      ctx.addIssue({ code: 'custom', path: ['expires_at'], message });
    }
  })
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
