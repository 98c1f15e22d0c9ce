import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API-key tokens (API.md §2): `<prefix>_<random><checksum>`.
 * random: 30 base62 characters from a CSPRNG; checksum: CRC-32 (IEEE) of `<prefix>_<random>`,
 * base62, left-padded to 6 characters. A mistyped key is rejected offline, with no I/O.
 */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const RANDOM_LENGTH = 30;
export const CHECKSUM_LENGTH = 6;
export const DEFAULT_KEY_PREFIX = 'kw';
/** A prefix: 1–16 of a-z0-9, starting with a letter. */
const PREFIX_SHAPE = '[a-z][a-z0-9]{0,15}';
export const KEY_PREFIX_PATTERN = new RegExp(`^${PREFIX_SHAPE}$`);

/** Base62, most significant digit first, left-padded with `0`. */
export function toBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

/** The checksum of `<prefix>_<random>`: zlib's CRC-32 (IEEE 802.3) of its UTF-8 bytes, in base62. */
export function checksumOf(body: string): string {
  return toBase62(crc32(body), CHECKSUM_LENGTH);
}

export function assertValidPrefix(prefix: string): void {
  if (!KEY_PREFIX_PATTERN.test(prefix)) {
    throw new Error(`key prefix must be 1-16 of a-z0-9 starting with a letter, got "${prefix}"`);
  }
}

/** Creates a new token; `randomIndex` is injectable only so tests can be deterministic. */
export function generateToken(prefix: string = DEFAULT_KEY_PREFIX, randomIndex: (max: number) => number = randomInt): string {
  assertValidPrefix(prefix);
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomIndex(62)];
  const body = `${prefix}_${random}`;
  return body + checksumOf(body);
}

const TOKEN_SHAPE = new RegExp(`^(${PREFIX_SHAPE})_([0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}})$`);

/**
 * True when the token is well formed, carries `prefix`, and its checksum matches. Pure CPU:
 * the authorizer calls this before any database read.
 */
export function isWellFormedToken(token: string, prefix: string = DEFAULT_KEY_PREFIX): boolean {
  const match = TOKEN_SHAPE.exec(token);
  if (!match || match[1] !== prefix) return false;
  const body = token.slice(0, token.length - CHECKSUM_LENGTH);
  return checksumOf(body) === token.slice(-CHECKSUM_LENGTH);
}

/**
 * Anything shaped like a token of any deployment (a possible prefix, `_`, 36 base62 characters),
 * anywhere in a text. Deliberately wider than this deployment's prefix and blind to the checksum:
 * a key pasted by mistake must never be stored or echoed, whichever deployment it is from.
 */
const EMBEDDED_TOKEN = `${PREFIX_SHAPE}_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}`;
const ANY_EMBEDDED_TOKEN = new RegExp(EMBEDDED_TOKEN);
const EVERY_EMBEDDED_TOKEN = new RegExp(EMBEDDED_TOKEN, 'g');

/** Whether `text` contains something shaped like an API key (API.md §3: such a `name` is refused). */
export function containsTokenShape(text: string): boolean {
  return ANY_EMBEDDED_TOKEN.test(text);
}

/** `text` with everything shaped like an API key masked as `maskToken` does, for text that is echoed back. */
export function maskTokenShapes(text: string): string {
  return text.replace(EVERY_EMBEDDED_TOKEN, (token) => maskToken(token));
}

/** SHA-256 hex of the token: the lookup key of the hot item. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `kw_••••••••9fQz`: the prefix, eight bullets and the last four characters. */
export function maskToken(token: string): string {
  const prefix = token.slice(0, token.indexOf('_'));
  return `${prefix}_${'•'.repeat(8)}${token.slice(-4)}`;
}
