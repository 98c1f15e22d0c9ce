import { z } from 'zod';

/**
 * Permissions (API.md §2): resource → modes. A missing resource or `[]` means no access.
 * The resource catalog is deployment configuration; this is Lago's, the default.
 */
export const DEFAULT_RESOURCE_CATALOG = [
  'activity_log',
  'add_on',
  'alert',
  'analytic',
  'api_log',
  'applied_coupon',
  'billable_metric',
  'billing_entity',
  'coupon',
  'credit_note',
  'customer',
  'customer_usage',
  'event',
  'feature',
  'fee',
  'invoice',
  'invoice_custom_section',
  'lifetime_usage',
  'order',
  'order_form',
  'organization',
  'payment',
  'payment_method',
  'payment_receipt',
  'payment_request',
  'plan',
  'plan_rate_card',
  'product',
  'product_category',
  'quote',
  'rate_card',
  'security_log',
  'subscription',
  'tax',
  'wallet',
  'wallet_transaction',
  'webhook_endpoint',
  'webhook_jwt_public_key',
] as const;

export const MODES = ['read', 'write'] as const;
export type Mode = (typeof MODES)[number];
export type Permissions = Record<string, Mode[]>;

export const RESOURCE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Parses a catalog from configuration (comma-separated names); throws on a bad name. */
export function parseResourceCatalog(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RESOURCE_CATALOG;
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const bad = names.filter((name) => !RESOURCE_NAME_PATTERN.test(name));
  if (bad.length > 0 || names.length === 0) {
    throw new Error(`resource catalog has invalid names: ${bad.join(', ') || '(empty)'}`);
  }
  return [...new Set(names)];
}

/**
 * The zod schema for a permissions object against a catalog: known resources only, modes
 * `read`/`write` only (no duplicates), and not `{}`. Modes are returned sorted read-then-write.
 *
 * A strict object with one optional field per catalog resource rather than a record: a record
 * silently skips an own `__proto__` key (which JSON.parse creates), whereas a strict object
 * reports every name outside the catalog, `__proto__` and `constructor` included, as unknown, and
 * its output holds catalog names only.
 */
export function permissionsSchema(catalog: readonly string[]) {
  const modes = z.array(z.enum(MODES)).refine((list) => new Set(list).size === list.length, 'modes must not repeat');
  const shape = Object.fromEntries(catalog.map((resource) => [resource, modes.optional()]));
  return z
    .strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? UNKNOWN_RESOURCE : undefined) })
    .refine((value) => Object.keys(value).length > 0, {
      message: 'must grant at least one resource',
      // Only for a truly empty object: unknown resources alone are already reported as such.
      when: ({ issues }) => issues.length === 0,
    })
    .transform((value): Permissions => {
      const granted: Permissions = {};
      for (const [resource, list] of Object.entries(value)) if (list !== undefined) granted[resource] = list;
      return normalizePermissions(granted);
    });
}

/** The reason given for a permissions key outside the catalog. */
export const UNKNOWN_RESOURCE = 'is not a known resource';

/**
 * Permissions in their canonical form: resources sorted, each resource's modes in `MODES` order.
 * Also the reader of stored permissions, so it takes what it is given without trusting it: a
 * value that is not an object holds no resource, and modes that are not a list hold no mode.
 */
export function normalizePermissions(value: Permissions): Permissions {
  if (typeof value !== 'object' || value === null) return {};
  // fromEntries defines own properties, so even a `__proto__` resource stays a plain entry.
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((resource) => {
        const modes: unknown = value[resource];
        return [resource, MODES.filter((mode) => Array.isArray(modes) && modes.includes(mode))];
      }),
  );
}

/** A new key without `permissions` gets every catalog resource with read and write. */
export function defaultPermissions(catalog: readonly string[]): Permissions {
  const out: Permissions = {};
  for (const resource of [...catalog].sort()) out[resource] = ['read', 'write'];
  return out;
}

/**
 * Whether `permissions` grant `mode` on `resource`. Fails closed: only an own entry whose modes
 * are a list counts, so permissions that arrive malformed (a string, whose `includes` would
 * substring-match, a map, a DynamoDB set) or a name that every object inherits grant nothing.
 */
export function allows(permissions: Permissions, resource: string, mode: Mode): boolean {
  if (typeof permissions !== 'object' || permissions === null || !Object.hasOwn(permissions, resource)) return false;
  const modes: unknown = permissions[resource];
  return Array.isArray(modes) && modes.includes(mode);
}

/** `GET`/`HEAD` read; every other method writes. */
export function modeFromMethod(method: string): Mode {
  const upper = method.toUpperCase();
  return upper === 'GET' || upper === 'HEAD' ? 'read' : 'write';
}

/** The 403 code the authorizer returns for a mode the key lacks, e.g. `write_action_not_allowed_for_customer`. */
export type ForbiddenCode = `${Mode}_action_not_allowed_for_${string}`;

export function forbiddenCode(resource: string, mode: Mode): ForbiddenCode {
  return `${mode}_action_not_allowed_for_${resource}`;
}
