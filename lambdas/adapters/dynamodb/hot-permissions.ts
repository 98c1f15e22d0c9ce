import { MODES, type Mode, normalizePermissions, type Permissions, RESOURCE_NAME_PATTERN } from '../../domain/permissions';

/**
 * The hot item's `permissions` in one string, `customer:rw,invoice:r,plan:` (resources sorted, `r`
 * read, `w` write, nothing after the colon for `[]`), instead of a map of lists: the authorizer's
 * `last_used_at` write is charged one write unit per KB of the item, and a map of the default
 * catalog's 38 resources with `["read","write"]` each (973 B) made a default key's hot item 2 units;
 * the string is 551 B. Only the hot item: the key item keeps the map (admins' reads, audit).
 *
 * Both encodings are read: a map is what releases before this one wrote (and `keyward migrate`
 * rewrites, hot-item-migration.ts). No free text on the hot item: resource names are
 * RESOURCE_NAME_PATTERN's (no `:` or `,`), so the string is unambiguous; permissions that hold any
 * other name (none pass the API's validation) are written as the map, which stays readable.
 */

const LETTER: Record<Mode, string> = { read: 'r', write: 'w' };
const ENTRY = /^([a-z][a-z0-9_]{0,63}):(r?w?)$/;

/** The hot item's value of `permissions`: the compact string, or the map for a name the string cannot hold. */
export function encodeHotPermissions(permissions: Permissions): string | Permissions {
  const normalized = normalizePermissions(permissions);
  const resources = Object.keys(normalized);
  if (!resources.every((resource) => RESOURCE_NAME_PATTERN.test(resource))) return normalized;
  return resources.map((resource) => `${resource}:${normalized[resource]!.map((mode) => LETTER[mode]).join('')}`).join(',');
}

/**
 * The permissions a stored `permissions` holds: a well-formed compact string decoded; anything
 * else passed on as stored — a map (the previous encoding) is what `decide` always read, and a
 * string that is not well-formed (an unknown letter, `wr`, a repeated resource, a stray comma)
 * stays a string, which `allows` refuses (fails closed: nothing here turns a bad value into a good one).
 */
export function decodeHotPermissions(stored: unknown): unknown {
  if (typeof stored !== 'string') return stored;
  if (stored === '') return {};
  const entries: [string, Mode[]][] = [];
  const seen = new Set<string>();
  for (const entry of stored.split(',')) {
    const match = ENTRY.exec(entry);
    if (!match || seen.has(match[1]!)) return stored;
    seen.add(match[1]!);
    entries.push([match[1]!, MODES.filter((mode) => match[2]!.includes(LETTER[mode]))]);
  }
  // fromEntries defines own properties: a resource named like an Object.prototype member stays a plain entry.
  return Object.fromEntries(entries);
}
