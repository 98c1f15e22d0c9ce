import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/**
 * A key's IP allowlist (API.md §9): `null` (any source) or 1–20 CIDR blocks, IPv4 or IPv6; a bare
 * address means that single address. Parsing and matching are ipaddr.js's (a well-kept library),
 * never hand-written. Used by the management API (validation, normalization) and by the api-key
 * authorizer (matching), which reads the blocks from the hot item it already fetches.
 */

export const MAX_ALLOWED_IPS = 20;

export type AllowedIps = string[] | null;

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * A block in canonical form (`10.0.0.0/8`, `2001:db8::/32`), or undefined when `text` is no block.
 * A bare address gets the single-address prefix (/32, /128); an IPv4-mapped IPv6 address is its
 * IPv4 address. Host bits are kept as written (`10.1.2.3/8` matches what `10.0.0.0/8` matches).
 */
export function canonicalBlock(text: string): string | undefined {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('/')) {
      if (!ipaddr.isValidCIDR(trimmed)) return undefined;
      const [address, prefix] = ipaddr.parseCIDR(trimmed);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
        return `${(address as ipaddr.IPv6).toIPv4Address().toString()}/${prefix - 96}`;
      }
      return `${address.toString()}/${prefix}`;
    }
    if (!ipaddr.isValid(trimmed)) return undefined;
    // Only the standard notations: ipaddr.isValid also reads IPv4 shorthands such as `10.1` or `0x0a000001`.
    if (!ipaddr.IPv6.isValid(trimmed) && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return undefined;
    const address = ipaddr.process(trimmed);
    return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
  } catch {
    return undefined;
  }
}

/**
 * `allowed_ips` of a create or PATCH body: null, or 1–20 distinct blocks, each normalized; a
 * malformed block → 422 naming `allowed_ips` (API.md §9).
 */
export const allowedIpsSchema = z
  .array(z.string({ error: 'must be a list of CIDR blocks (strings)' }), { error: 'must be null or a list of CIDR blocks' })
  .min(1, 'must hold at least one CIDR block, or be null for any source address')
  .max(MAX_ALLOWED_IPS, `must hold at most ${MAX_ALLOWED_IPS} CIDR blocks`)
  .transform((blocks, ctx) => {
    const canonical: string[] = [];
    for (const block of blocks) {
      const parsed = canonicalBlock(block);
      if (parsed === undefined) {
        // The reason names the block: it is an address, not a secret.
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(block.slice(0, 64))} is not an IPv4 or IPv6 address or CIDR block` });
        return z.NEVER;
      }
      if (!canonical.includes(parsed)) canonical.push(parsed);
    }
    return canonical;
  })
  .nullable()
  .meta({
    description: 'The source addresses the key may be used from: IPv4/IPv6 CIDR blocks (a bare address is that one address); null: any',
    examples: [['203.0.113.0/24', '2001:db8::/32']],
  });

/** The address a request came from, IPv4-mapped IPv6 read as IPv4; undefined when it is no address. */
function sourceAddress(sourceIp: string | undefined): Address | undefined {
  if (sourceIp === undefined || !ipaddr.isValid(sourceIp)) return undefined;
  return ipaddr.process(sourceIp);
}

/**
 * Whether a request from `sourceIp` may use a key with `allowed`. Fails closed: with an allowlist,
 * a missing or unreadable source address, or a stored list that is not a list of blocks (damaged
 * data), allows nothing; an unreadable block matches nothing.
 */
export function ipAllowed(allowed: unknown, sourceIp: string | undefined): boolean {
  if (allowed === null || allowed === undefined) return true;
  if (!Array.isArray(allowed)) return false;
  const address = sourceAddress(sourceIp);
  if (address === undefined) return false;
  for (const range of rangesOf(allowed)) {
    if (range[0].kind() === address.kind() && address.match(range)) return true;
  }
  return false;
}

/**
 * How many distinct allowlists keep their parsed blocks: parsing is most of a decision's CPU with
 * an allowlist (about 9 µs a block, docs/benchmarks.md), and a container sees the same few keys
 * again and again. 20 blocks of ≤ 43 characters a list: a few hundred kB at most.
 */
export const PARSED_ALLOWLISTS_CACHED = 500;

/** Parsed allowlists by their blocks (JSON, so no block's text can run into the next), least recently used first. */
const parsedAllowlists = new Map<string, ReadonlyArray<[Address, number]>>();

/** The readable blocks of a stored list as ranges, parsed once per distinct list while it stays in the LRU. */
function rangesOf(allowed: unknown[]): ReadonlyArray<[Address, number]> {
  // Damaged data (a block that is not a string) is parsed each time and never cached.
  if (!allowed.every((block) => typeof block === 'string')) return parseRanges(allowed);
  const cacheKey = JSON.stringify(allowed);
  const cached = parsedAllowlists.get(cacheKey);
  if (cached !== undefined) {
    parsedAllowlists.delete(cacheKey);
    parsedAllowlists.set(cacheKey, cached);
    return cached;
  }
  const ranges = parseRanges(allowed);
  parsedAllowlists.set(cacheKey, ranges);
  if (parsedAllowlists.size > PARSED_ALLOWLISTS_CACHED) parsedAllowlists.delete(parsedAllowlists.keys().next().value!);
  return ranges;
}

function parseRanges(allowed: unknown[]): Array<[Address, number]> {
  const ranges: Array<[Address, number]> = [];
  for (const block of allowed) {
    const range = typeof block === 'string' ? rangeOf(block) : undefined;
    if (range !== undefined) ranges.push(range);
  }
  return ranges;
}

/** A stored block as a range; a bare address (written by a caller that skipped the schema) is that one address. */
function rangeOf(block: string): [Address, number] | undefined {
  if (ipaddr.isValidCIDR(block)) return ipaddr.parseCIDR(block);
  if (!ipaddr.isValid(block)) return undefined;
  const address = ipaddr.process(block);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Whether two allowlists hold the same blocks (order aside). */
export function sameAllowedIps(a: AllowedIps, b: AllowedIps): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((block) => b.includes(block));
}
