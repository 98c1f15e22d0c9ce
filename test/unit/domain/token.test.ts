import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  BASE62,
  checksumOf,
  containsTokenShape,
  generateToken,
  hashToken,
  isWellFormedToken,
  maskToken,
  maskTokenShapes,
  toBase62,
} from '../../../lambdas/domain/token';

/** An independent base62 encoder (BigInt, repeated division) to check ours against. */
function referenceBase62(value: number, width: number): string {
  let n = BigInt(value);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return (out || '0').padStart(width, '0');
}

describe('token format (API.md §2)', () => {
  it.each([
    // The CRC-32 check value (0xcbf43926), then bodies checksummed by the earlier hand-written CRC table.
    ['123456789', '3jZRME'],
    ['kw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '2eofZP'],
    ['acme_0123456789abcdefghijABCDEFGHIJ', '2XC1wM'],
    ['é€😀', '2QpowA'],
  ])('keeps the checksum of %s (CRC-32 IEEE of the UTF-8 bytes): %s', (body, checksum) => {
    expect(checksumOf(body)).toBe(checksum);
  });

  it('writes the checksum in base62, most significant digit first, padded to 6', () => {
    expect(toBase62(0, 6)).toBe('000000');
    expect(toBase62(61, 2)).toBe('0z');
    expect(toBase62(62, 2)).toBe('10');
    expect(toBase62(0xffffffff, 6)).toBe('4gfFC3');
    for (const body of ['kw_x', 'acme_0123456789abcdefghijABCDEFGHIJ']) {
      expect(checksumOf(body)).toBe(referenceBase62(zlibCrc32(body), 6));
    }
  });

  it('generates <prefix>_<30 random base62><6 checksum> that validates', () => {
    const token = generateToken('kw');
    expect(token).toMatch(/^kw_[0-9A-Za-z]{36}$/);
    expect(token.slice(-6)).toBe(referenceBase62(zlibCrc32(token.slice(0, -6)), 6));
    expect(isWellFormedToken(token, 'kw')).toBe(true);
    expect(generateToken('kw')).not.toBe(token);
  });

  it('uses the configured prefix and refuses an invalid one', () => {
    expect(isWellFormedToken(generateToken('acme2'), 'acme2')).toBe(true);
    expect(() => generateToken('Kw')).toThrow(/prefix/);
    expect(() => generateToken('1kw')).toThrow(/prefix/);
    expect(() => generateToken('a'.repeat(17))).toThrow(/prefix/);
  });

  it('rejects malformed tokens and bad checksums offline', () => {
    const token = generateToken('kw');
    const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
    expect(isWellFormedToken(flipped, 'kw')).toBe(false);
    expect(isWellFormedToken(token.slice(0, -1), 'kw')).toBe(false);
    expect(isWellFormedToken(`${token}x`, 'kw')).toBe(false);
    expect(isWellFormedToken(token.replace(/^kw_/, 'kx_'), 'kw')).toBe(false);
    expect(isWellFormedToken(token, 'other')).toBe(false);
    expect(isWellFormedToken(`${token.slice(0, 5)}-${token.slice(6)}`, 'kw')).toBe(false);
    expect(isWellFormedToken('', 'kw')).toBe(false);
  });

  it('hashes with SHA-256 and masks as prefix, eight bullets and the last four characters', () => {
    const token = generateToken('kw');
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(maskToken(token)).toBe(`kw_••••••••${token.slice(-4)}`);
    expect(maskToken(token)).not.toContain(token.slice(3, -4));
  });

  it('finds and masks anything shaped like a key of any prefix inside a text', () => {
    const ours = generateToken('kw');
    const theirs = generateToken('acme2');
    const text = `old: ${ours}, new:${theirs}.`;
    expect(containsTokenShape(text)).toBe(true);
    expect(maskTokenShapes(text)).toBe(`old: kw_••••••••${ours.slice(-4)}, new:acme2_••••••••${theirs.slice(-4)}.`);
    expect(containsTokenShape(`kw_${'a'.repeat(35)}`)).toBe(false);
    expect(maskTokenShapes('nothing secret')).toBe('nothing secret');
  });
});
