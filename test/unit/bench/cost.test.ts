import { averageBilledMs, billedMs, completeCost, type PathConsumption, PRICES } from '../../../bench/cost';

/**
 * The bench's Lambda duration line (bench/cost.ts): Lambda bills each invocation rounded up to the
 * millisecond, so an authorization without a `last_used_at` write (one round trip of 4 ms) and one
 * with it (two) are rounded apart, then weighed by the share of writes.
 */
// 1,769 MB is one vCPU: the CPU is not scaled, so the figures below are exact.
const ONE_VCPU = 1769;

describe('the billed duration of an authorization', () => {
  it('rounds each kind of invocation up, then weighs them: not the average rounded once', () => {
    // 10 % with a write, 3.2 ms of CPU: 90 % × ceil(7.2) + 10 % × ceil(11.2) = 8.4 ms; the average rounded once is ceil(7.6) = 8.
    expect(averageBilledMs(3.2, ONE_VCPU, 0.1)).toBeCloseTo(8.4, 10);
    expect(billedMs(3.2, ONE_VCPU, 1.1)).toBe(8);
    // 50 % with a write, 0.5 ms: 50 % × 5 + 50 % × 9 = 7 ms; once: ceil(6.5) = 7, the same here.
    expect(averageBilledMs(0.5, ONE_VCPU, 0.5)).toBeCloseTo(7, 10);
    // 90 % with a write, 0.9 ms: 10 % × 5 + 90 % × 9 = 8.6 ms; once: ceil(8.5) = 9.
    expect(averageBilledMs(0.9, ONE_VCPU, 0.9)).toBeCloseTo(8.6, 10);
    expect(billedMs(0.9, ONE_VCPU, 1.9)).toBe(9);
  });

  it('is one round trip without writes and two with a write every time', () => {
    expect(averageBilledMs(1.5, ONE_VCPU, 0)).toBe(6);
    expect(averageBilledMs(1.5, ONE_VCPU, 1)).toBe(10);
  });

  it('scales the CPU to the memory size (512 MB: 1,769 / 512 of a core’s time)', () => {
    // 1 ms here is 3.455 ms at 512 MB: ceil(7.455) = 8 without a write, ceil(11.455) = 12 with.
    expect(averageBilledMs(1, 512, 0.25)).toBeCloseTo(0.75 * 8 + 0.25 * 12, 10);
  });
});

describe('the complete cost’s duration line', () => {
  const path: PathConsumption = {
    memoryMb: ONE_VCPU,
    cpuMs: 3.2,
    readUnits: 1,
    writeUnitsPerWrite: 1,
    writesPerRequest: 0.1,
    functionLog: { events: 0, bytes: 0 },
    functionMinuteLog: { events: 1, bytes: 1000 },
    platformLog: { events: 0, bytes: 0 },
    accessLog: { events: 1, bytes: 60 },
    customMetrics: 5,
    tracesPerMillion: 0,
  };

  it('prices the weighed billed duration, and says what it is made of', () => {
    const duration = completeCost(path, 50_000_000).find((line) => line.line.startsWith('Lambda duration'))!;
    expect(duration.perMillion).toBeCloseTo(1e6 * (8.4 / 1000) * (ONE_VCPU / 1024) * PRICES.lambdaGbSecond, 10);
    expect(duration.quantity).toMatch(/^8\.40 ms billed on average \(8 ms without a write, 12 ms with\)/);
  });
});
