import { decodeEntries, encodeEntries } from '../../../lambdas/adapters/dynamodb/usage-raw';
import { tallyUsage, type UsageHit } from '../../../lambdas/domain/usage';
import { isLateHour, KEYS_PER_RAW_CHUNK, mergeUsage, type RawEntry, rawChunks, rollableHours } from '../../../lambdas/domain/usage-rollup';

/** The rules that keep raw tallies and the rollup apart (domain/usage-rollup.ts), without a table. */

const H10 = Date.parse('2036-03-10T10:00:00.000Z');
const MINUTE = 60_000;
const hit = (key: string, at: number, org = 'acme'): UsageHit => ({ organizationId: org, apiKeyId: key, at, outcome: { kind: 'allowed' } });

describe('usage rollup rules', () => {
  it('calls an hour late 10 minutes after its end, and lets the rollup read it only 15 minutes after', () => {
    expect(isLateHour(H10, H10 + 69 * MINUTE)).toBe(false);
    expect(isLateHour(H10, H10 + 70 * MINUTE)).toBe(true);
    const hours = rollableHours(H10 + 75 * MINUTE, 3);
    expect(hours.at(-1)).toBe('2036-03-10T10:00:00.000Z');
    expect(rollableHours(H10 + 75 * MINUTE - 1, 3).at(-1)).toBe('2036-03-10T09:00:00.000Z');
    expect(hours).toHaveLength(72);
  });

  it('cuts a batch into the same chunks of at most 49 keys per hour, whatever order its lines came in', () => {
    // 60 keys in hour 10, and 3 of them again in hour 11.
    const hits = [
      ...Array.from({ length: 60 }, (_, index) => hit(`k${String(index).padStart(2, '0')}`, H10 + (index % 60) * 1000)),
      ...['k01', 'k02', 'k03'].map((key) => hit(key, H10 + 61 * MINUTE)),
    ];
    const chunks = rawChunks(tallyUsage(hits));
    expect(chunks.map((chunk) => [chunk.hour, chunk.chunk, chunk.entries.length])).toEqual([
      ['2036-03-10T10:00:00.000Z', 0, KEYS_PER_RAW_CHUNK],
      ['2036-03-10T10:00:00.000Z', 1, 11],
      ['2036-03-10T11:00:00.000Z', 0, 3],
    ]);
    expect(rawChunks(tallyUsage([...hits].reverse()))).toEqual(chunks);
  });

  it('keeps a raw tally intact through its encoding, organizations and denial codes included', () => {
    const entries: RawEntry[] = [
      { organizationId: 'acme', apiKeyId: 'k1', allowed: 3, throttled: 1, denied: { ip_not_allowed: 2, route_not_allowed: 1 } },
      { organizationId: 'acme', apiKeyId: 'k2', allowed: 0, throttled: 0, denied: {} },
      { organizationId: 'other-org', apiKeyId: 'k1', allowed: 7, throttled: 0, denied: {} },
    ];
    expect(decodeEntries(encodeEntries(entries))).toEqual(entries);
    expect(encodeEntries(entries).split('\n')[1]!.startsWith('\t')).toBe(true);
  });

  it('adds a raw hour to a counter only when the counter does not hold that hour yet', () => {
    const day = '2036-03-10T00:00:00.000Z';
    const counter = (key: string, allowed: number, rolled: number[]) => ({
      bucket: { start: day, api_key_id: key, allowed, denied: {}, throttled: 0 },
      rolledHours: new Set(rolled),
    });
    const raw = new Map<string, RawEntry[]>([
      ['2036-03-10T10:00:00.000Z', [{ organizationId: 'acme', apiKeyId: 'k1', allowed: 5, throttled: 0, denied: {} }]],
      [
        '2036-03-10T11:00:00.000Z',
        [
          { organizationId: 'acme', apiKeyId: 'k1', allowed: 2, throttled: 0, denied: { ip_not_allowed: 1 } },
          { organizationId: 'acme', apiKeyId: 'k0', allowed: 1, throttled: 0, denied: {} },
        ],
      ],
    ]);
    // k1's day holds hour 10 (rolled) but not hour 11.
    expect(mergeUsage([counter('k1', 9, [9, 10])], raw, 'day')).toEqual([
      { start: day, api_key_id: 'k0', allowed: 1, denied: {}, throttled: 0 },
      { start: day, api_key_id: 'k1', allowed: 11, denied: { ip_not_allowed: 1 }, throttled: 0 },
    ]);
  });
});
