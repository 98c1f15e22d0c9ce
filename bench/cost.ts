/**
 * What an authorization costs at each Lambda memory size. The sizes cannot be measured here (one
 * machine, no Lambda), so this is arithmetic on figures measured in the same run, with its
 * assumptions stated: Lambda gives a function CPU in proportion to its memory (1,769 MB = one
 * vCPU), so the CPU part of a request scales with 1,769 / MB while the wait for DynamoDB does not;
 * and one vCPU of Lambda (arm64) is taken to be as fast as one core of this machine.
 *
 * On-demand prices of us-east-1 at the time of writing (docs/operating.md, "Cost per million authorized requests").
 */
export const PRICES = {
  apiGatewayPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  /** arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** One strongly consistent read of an item under 4 KB = 1 read request unit. */
  readUnitsPerMillion: 0.125,
} as const;

const FULL_VCPU_MB = 1769;
/**
 * The assumed round trip of one strongly consistent GetItem from Lambda to DynamoDB in the same
 * region (DynamoDB answers in single-digit milliseconds); DynamoDB Local's latency on this machine
 * is no measure of it. The time the function waits for it is billed whatever the memory size.
 */
export const ASSUMED_GETITEM_MS = 4;
export const MEMORY_SIZES_MB = [128, 256, 512, 1024] as const;

export interface CostRow {
  memoryMb: number;
  /** CPU of one authorization at this size, in ms. */
  cpuMs: number;
  /** Billed duration (Lambda rounds up to the millisecond). */
  billedMs: number;
  /** Lambda requests + duration per million authorizations. */
  lambdaPerMillion: number;
  /** API Gateway + Lambda + DynamoDB per million authorizations. */
  totalPerMillion: number;
  /** A cold start's module load (INIT, billed) at this size, in ms. */
  initMs: number;
}

/** `cpuMs`: CPU of one authorization on this machine's core; `loadMs`: the authorizer's module load here. */
export function costTable(cpuMs: number, loadMs: number): CostRow[] {
  return MEMORY_SIZES_MB.map((memoryMb) => {
    const scale = Math.max(1, FULL_VCPU_MB / memoryMb);
    const billedMs = Math.ceil(ASSUMED_GETITEM_MS + cpuMs * scale);
    const lambdaPerMillion = PRICES.lambdaRequestsPerMillion + 1e6 * (billedMs / 1000) * (memoryMb / 1024) * PRICES.lambdaGbSecond;
    return {
      memoryMb,
      cpuMs: cpuMs * scale,
      billedMs,
      lambdaPerMillion,
      totalPerMillion: lambdaPerMillion + PRICES.apiGatewayPerMillion + PRICES.readUnitsPerMillion,
      initMs: loadMs * scale,
    };
  });
}
