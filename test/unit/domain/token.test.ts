import { crc32, generateToken, hashToken, isWellFormedToken, maskToken, toBase62 } from '../../../lambdas/domain/token';
import { crc32 as zlibCrc32 } from 'node:zlib';

describe('token', () => {
  it('computes CRC-32 as zlib does', () => {
    expect(crc32('kw_abc')).toBe(zlibCrc32('kw_abc'));
  });

  it('generates a valid token', () => {
    const t = generateToken('kw');
    expect(t).toMatch(/^kw_[0-9A-Za-z]{36}$/);
    expect(isWellFormedToken(t, 'kw')).toBe(true);
    expect(hashToken(t)).toHaveLength(64);
    expect(maskToken(t)).toBe(`kw_••••••••${t.slice(-4)}`);
    expect(toBase62(61, 2)).toBe('0z');
  });
});
