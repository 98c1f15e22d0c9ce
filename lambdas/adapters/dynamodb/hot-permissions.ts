import { MODES, type Mode, normalizePermissions, type Permissions, RESOURCE_NAME_PATTERN } from '../../domain/permissions';

/**
 * The hot item's `permissions` in one string, resources grouped by their modes:
 * `rw:add_on,customer;r:invoice;:plan` (groups in the order `rw`, `r`, `w`, none; `r` read, `w`
 * write, nothing before the colon for `[]`; resources sorted in each group), instead of a map of
 * lists: the authorizer's `last_used_at` write is charged one write unit per KB of the item, and a
 * map of the default catalog's 38 resources with `["read","write"]` each (973 B) made a default
 * key's hot item 2 units; the string is 440 B. Only the hot item: the key item keeps the map
 * (admins' reads, audit).
 *
 * Both encodings are read: a map is what releases before this one wrote (and `keyward migrate`
 * rewrites, hot-item-migration.ts). Resource names are RESOURCE_NAME_PATTERN's (no `:`, `,` or
 * `;`), so the string is unambiguous; permissions that hold any other name (none pass the API's
 * validation) are written as the map, which stays readable.
 */

const GROUPS = [['read', 'write'], ['read'], ['write'], []] as const satisfies readonly (readonly Mode[])[];
const LETTER: Record<Mode, string> = { read: 'r', write: 'w' };
const lettersOf = (modes: readonly Mode[]) => modes.map((mode) => LETTER[mode]).join('');
const GROUP = /^(rw|r|w|):([a-z][a-z0-9_]{0,63}(?:,[a-z][a-z0-9_]{0,63})*)$/;

/** The hot item's value of `permissions`: the compact string, or the map for a name the string cannot hold. */
export function encodeHotPermissions(permissions: Permissions): string | Permissions {
  const normalized = normalizePermissions(permissions);
  const resources = Object.keys(normalized);
  if (!resources.every((resource) => RESOURCE_NAME_PATTERN.test(resource))) return normalized;
  return GROUPS.map((modes) => {
    const letters = lettersOf(modes);
    const members = resources.filter((resource) => lettersOf(normalized[resource]!) === letters);
    return members.length === 0 ? undefined : `${letters}:${members.join(',')}`;
  })
    .filter((group) => group !== undefined)
    .join(';');
}

/**
 * The permissions a stored `permissions` holds: a compact string in its canonical form (as
 * `encodeHotPermissions` writes it) decoded; anything else passed on as stored — a map (the
 * previous encoding) is what `decide` always read, and a string in any other form (an unknown or
 * reordered mode, a repeated resource or group, unsorted names, a stray separator) stays a string,
 * which `allows` refuses (fails closed: nothing here turns a bad value into a good one).
 */
export function decodeHotPermissions(stored: unknown): unknown {
  if (typeof stored !== 'string') return stored;
  const entries: [string, Mode[]][] = [];
  for (const group of stored === '' ? [] : stored.split(';')) {
    const match = GROUP.exec(group);
    if (!match) return stored;
    const modes = MODES.filter((mode) => match[1]!.includes(LETTER[mode]));
    for (const resource of match[2]!.split(',')) entries.push([resource, modes]);
  }
  // fromEntries defines own properties: a resource named like an Object.prototype member stays a plain entry.
  const decoded: Permissions = Object.fromEntries(entries);
  // Canonical only: this also refuses a repeated resource (its entries collapse) and a misordered group.
  return encodeHotPermissions(decoded) === stored ? decoded : stored;
}
