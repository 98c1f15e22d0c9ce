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

const RESOURCE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Parses a catalog from configuration (comma-separated names); throws on a bad name. */
export function parseResourceCatalog(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RESOURCE_CATALOG;
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const bad = names.filter((name) => !RESOURCE_NAME.test(name));
  if (bad.length > 0 || names.length === 0) {
    throw new Error(`resource catalog has invalid names: ${bad.join(', ') || '(empty)'}`);
  }
  return [...new Set(names)];
}

/**
 * The zod schema for a permissions object against a catalog: known resources only, modes
 * `read`/`write` only (no duplicates), and not `{}`. Modes are returned sorted read-then-write.
 */
export function permissionsSchema(catalog: readonly string[]) {
  const known = new Set(catalog);
  return z
    .record(z.string(), z.array(z.enum(MODES)))
    .superRefine((value, ctx) => {
      const resources = Object.keys(value);
      if (resources.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'must grant at least one resource' });
      }
      for (const resource of resources) {
        if (!known.has(resource)) {
          ctx.addIssue({ code: 'custom', path: [resource], message: `unknown resource "${resource}"` });
        } else if (new Set(value[resource]).size !== value[resource]!.length) {
          ctx.addIssue({ code: 'custom', path: [resource], message: 'modes must not repeat' });
        }
      }
    })
    .transform((value): Permissions => normalizePermissions(value));
}

export function normalizePermissions(value: Permissions): Permissions {
  const out: Permissions = {};
  for (const resource of Object.keys(value).sort()) {
    out[resource] = MODES.filter((mode) => value[resource]!.includes(mode));
  }
  return out;
}

/** A new key without `permissions` gets every catalog resource with read and write. */
export function defaultPermissions(catalog: readonly string[]): Permissions {
  const out: Permissions = {};
  for (const resource of [...catalog].sort()) out[resource] = ['read', 'write'];
  return out;
}

export function allows(permissions: Permissions, resource: string, mode: Mode): boolean {
  return permissions[resource]?.includes(mode) ?? false;
}

/** `GET`/`HEAD` read; every other method writes. */
export function modeFromMethod(method: string): Mode {
  const upper = method.toUpperCase();
  return upper === 'GET' || upper === 'HEAD' ? 'read' : 'write';
}

/** The 403 code the authorizer returns, e.g. `write_action_not_allowed_for_customer`. */
export function forbiddenCode(resource: string, mode: Mode): string {
  return `${mode}_action_not_allowed_for_${resource}`;
}
