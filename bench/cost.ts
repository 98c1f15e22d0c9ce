/**
 * What an authorized request costs. Lambda's memory sizes cannot be measured here (one machine, no
 * Lambda), so the duration is arithmetic on figures measured in the same run, with its assumptions
 * stated: Lambda gives a function CPU in proportion to its memory (1,769 MB = one vCPU), so the
 * CPU part of a request scales with 1,769 / MB while the wait for DynamoDB does not; and one vCPU
 * of Lambda (arm64) is taken to be as fast as one core of this machine. Everything else on the
 * bill (capacity units, log bytes, metrics, traces) is counted from what the code really sends and
 * writes, and priced line by line in `completeCost`.
 *
 * On-demand list prices of us-east-1 at the time of writing (docs/operating.md, "Cost per million
 * authorized requests"); each line of the bench's cost table prints the price it used.
 */
export const PRICES = {
  /** REST API requests, first 333 million a month. */
  apiGatewayPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  /** arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** On-demand read request unit (one strongly consistent read of up to 4 KB). */
  readUnitsPerMillion: 0.125,
  /** On-demand write request unit (one write of up to 1 KB; a transactional write counts twice). */
  writeUnitsPerMillion: 0.625,
  /** CloudWatch Logs ingestion (Standard class), per GB. */
  logsIngestionPerGb: 0.5,
  /** A custom metric (EMF, a metric filter, API Gateway's detailed per-method metrics), per month. */
  customMetricPerMonth: 0.3,
  /** X-Ray, per trace recorded. */
  xrayTracesPerMillion: 5,
} as const;

/** CloudWatch Logs bills each log event as its UTF-8 bytes plus 26 bytes. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

const FULL_VCPU_MB = 1769;
/**
 * The assumed round trip of one strongly consistent GetItem (or one UpdateItem) from Lambda to
 * DynamoDB in the same region (DynamoDB answers in single-digit milliseconds); DynamoDB Local's
 * latency on this machine is no measure of it. The time the function waits for it is billed
 * whatever the memory size.
 */
export const ASSUMED_GETITEM_MS = 4;
export const MEMORY_SIZES_MB = [128, 256, 512, 1024] as const;

/** The reference workload of issue 15: 50 million authorized requests a month over 1,000 keys. */
export const REFERENCE_WORKLOAD = {
  requestsPerMonth: 50_000_000,
  keys: 1000,
  /** The other case: one key alone at this rate. */
  hotKeyRequestsPerSecond: 500,
} as const;

/** Seconds in an average month (365.25 days / 12). */
export const SECONDS_PER_MONTH = (365.25 / 12) * 24 * 3600;

export interface CostRow {
  memoryMb: number;
  /** CPU of one authorization at this size, in ms. */
  cpuMs: number;
  /** Billed duration (Lambda rounds up to the millisecond). */
  billedMs: number;
  /** Lambda requests + duration per million authorizations. */
  lambdaPerMillion: number;
  /** A cold start's module load (INIT, billed) at this size, in ms. */
  initMs: number;
}

/** The billed duration of one authorization at `memoryMb`: CPU scaled to the size, plus the round trips it waits for. */
export function billedMs(cpuMs: number, memoryMb: number, roundTrips = 1): number {
  const scale = Math.max(1, FULL_VCPU_MB / memoryMb);
  return Math.ceil(ASSUMED_GETITEM_MS * roundTrips + cpuMs * scale);
}

/**
 * The billed duration of an authorization on average, when a share `writesPerRequest` of them also
 * waits for the `last_used_at` write: Lambda rounds each invocation up to the millisecond, so the
 * two kinds are rounded apart (one round trip, or two) and then weighed, not their average once.
 */
export function averageBilledMs(cpuMs: number, memoryMb: number, writesPerRequest: number): number {
  return (1 - writesPerRequest) * billedMs(cpuMs, memoryMb, 1) + writesPerRequest * billedMs(cpuMs, memoryMb, 2);
}

/** `cpuMs`: CPU of one authorization on this machine's core; `loadMs`: the authorizer's module load here. */
export function costTable(cpuMs: number, loadMs: number): CostRow[] {
  return MEMORY_SIZES_MB.map((memoryMb) => {
    const scale = Math.max(1, FULL_VCPU_MB / memoryMb);
    const billed = billedMs(cpuMs, memoryMb);
    return {
      memoryMb,
      cpuMs: cpuMs * scale,
      billedMs: billed,
      lambdaPerMillion: PRICES.lambdaRequestsPerMillion + 1e6 * (billed / 1000) * (memoryMb / 1024) * PRICES.lambdaGbSecond,
      initMs: loadMs * scale,
    };
  });
}

/**
 * X-Ray's default sampling rule: the first request each second (the reservoir) and 5 % of the rest.
 * Traces recorded per million requests at `requestsPerSecond` spread evenly.
 */
export function sampledTracesPerMillion(requestsPerSecond: number, reservoirPerSecond = 1, rate = 0.05): number {
  if (requestsPerSecond <= 0) return 0;
  const sampledPerSecond = Math.min(requestsPerSecond, reservoirPerSecond) + Math.max(0, requestsPerSecond - reservoirPerSecond) * rate;
  return (sampledPerSecond / requestsPerSecond) * 1e6;
}

/** What one configuration of the authorizer path consumes per authorized request, measured or derived. */
export interface PathConsumption {
  /** Lambda's memory size, MB. */
  memoryMb: number;
  /** CPU per authorization on this machine, ms. */
  cpuMs: number;
  /** Read units of the authorization's GetItem (ReturnConsumedCapacity). */
  readUnits: number;
  /** Write units of one `last_used_at` write (ReturnConsumedCapacity). */
  writeUnitsPerWrite: number;
  /** `last_used_at` writes per authorized request at the workload (simulated with the real rule). */
  writesPerRequest: number;
  /** Log events and bytes (before the 26-byte overhead) the function writes per request (measured over 200 in one minute). */
  functionLog: { events: number; bytes: number };
  /** What the function writes once a minute per warm instance (its decision metrics' EMF documents), measured. */
  functionMinuteLog: { events: number; bytes: number };
  /** Lambda's own START/END/REPORT lines per request (0 when the system log level is WARN). */
  platformLog: { events: number; bytes: number };
  /** The access log line of the request. */
  accessLog: { events: number; bytes: number };
  /** Custom metrics the path publishes (a fixed count a month, whatever the traffic). */
  customMetrics: number;
  /** Traces recorded per million requests (0 with tracing off). */
  tracesPerMillion: number;
}

export interface CostLine {
  line: string;
  /** What was counted, per request. */
  quantity: string;
  price: string;
  perMillion: number;
}

const logBytes = (log: { events: number; bytes: number }) => log.bytes + log.events * LOG_EVENT_OVERHEAD_BYTES;

/**
 * Warm authorizer instances at `requestsPerSecond` and `billedMs` a request: the concurrency
 * (Little's law, requests a second × seconds each), rounded up; Lambda keeps reusing a warm
 * instance, so at 19 req/s and ~9 ms one instance serves them all. Each publishes its minute.
 */
export function warmInstances(requestsPerSecond: number, billedMsPerRequest: number): number {
  return Math.max(1, Math.ceil((requestsPerSecond * billedMsPerRequest) / 1000));
}

/** The complete bill of a million authorized requests at `requestsPerMonth`, one line per item with its price. */
export function completeCost(path: PathConsumption, requestsPerMonth: number): CostLine[] {
  const billed = averageBilledMs(path.cpuMs, path.memoryMb, path.writesPerRequest);
  const gbSecondsPerRequest = (billed / 1000) * (path.memoryMb / 1024);
  const requestsPerSecond = requestsPerMonth / SECONDS_PER_MONTH;
  const instances = warmInstances(requestsPerSecond, billed);
  const requestsPerInstanceMinute = (requestsPerSecond * 60) / instances;
  const minuteLog = {
    events: path.functionMinuteLog.events / requestsPerInstanceMinute,
    bytes: path.functionMinuteLog.bytes / requestsPerInstanceMinute,
  };
  const logLine = (line: string, log: { events: number; bytes: number }, what: string): CostLine => ({
    line,
    quantity: `${log.events < 0.01 && log.events > 0 ? log.events.toExponential(1) : log.events.toFixed(2)} events, ${logBytes(log).toFixed(log.bytes < 10 && log.bytes > 0 ? 2 : 0)} B (${what})`,
    price: `$${PRICES.logsIngestionPerGb}/GB ingested`,
    perMillion: (1e6 * logBytes(log) * PRICES.logsIngestionPerGb) / 1e9,
  });
  return [
    {
      line: 'API Gateway REST request',
      quantity: '1',
      price: `$${PRICES.apiGatewayPerMillion}/M`,
      perMillion: PRICES.apiGatewayPerMillion,
    },
    {
      line: 'Lambda request',
      quantity: '1 invocation (result cache off)',
      price: `$${PRICES.lambdaRequestsPerMillion}/M`,
      perMillion: PRICES.lambdaRequestsPerMillion,
    },
    {
      line: `Lambda duration (${path.memoryMb} MB arm64)`,
      quantity: `${billed.toFixed(2)} ms billed on average (${billedMs(path.cpuMs, path.memoryMb, 1)} ms without a write, ${billedMs(path.cpuMs, path.memoryMb, 2)} ms with) = ${gbSecondsPerRequest.toFixed(5)} GB-s`,
      price: `$${PRICES.lambdaGbSecond}/GB-s`,
      perMillion: 1e6 * gbSecondsPerRequest * PRICES.lambdaGbSecond,
    },
    {
      line: 'DynamoDB read (hot item, strongly consistent)',
      quantity: `${path.readUnits} RRU`,
      price: `$${PRICES.readUnitsPerMillion}/M RRU`,
      perMillion: path.readUnits * PRICES.readUnitsPerMillion,
    },
    {
      line: 'DynamoDB last_used_at write',
      quantity: `${path.writesPerRequest.toFixed(4)} writes × ${path.writeUnitsPerWrite} WRU`,
      price: `$${PRICES.writeUnitsPerMillion}/M WRU`,
      perMillion: path.writesPerRequest * path.writeUnitsPerWrite * PRICES.writeUnitsPerMillion,
    },
    logLine('Logs: authorizer, per request', path.functionLog, 'measured'),
    logLine(
      'Logs: authorizer, decision metrics (EMF)',
      minuteLog,
      `${path.functionMinuteLog.events} event(s) of ${path.functionMinuteLog.bytes} B a minute per warm instance, measured; ${instances} instance(s), ${requestsPerInstanceMinute.toFixed(0)} requests each a minute`,
    ),
    logLine('Logs: Lambda START/END/REPORT', path.platformLog, path.platformLog.events === 0 ? 'system log level WARN' : 'text format'),
    logLine('Logs: access log', path.accessLog, 'the stage format, rendered'),
    {
      line: 'Metrics: custom metrics',
      quantity: `${path.customMetrics} metrics/month over ${(requestsPerMonth / 1e6).toFixed(0)}M requests`,
      price: `$${PRICES.customMetricPerMonth}/metric-month`,
      perMillion: (path.customMetrics * PRICES.customMetricPerMonth) / (requestsPerMonth / 1e6),
    },
    {
      line: 'Tracing: X-Ray traces recorded',
      quantity: path.tracesPerMillion === 0 ? '0 (tracing off)' : `${(path.tracesPerMillion / 1e6).toFixed(4)} traces`,
      price: `$${PRICES.xrayTracesPerMillion}/M traces`,
      perMillion: (path.tracesPerMillion / 1e6) * PRICES.xrayTracesPerMillion,
    },
  ];
}

/** The sum of the lines. */
export const totalOf = (lines: readonly CostLine[]): number => lines.reduce((sum, line) => sum + line.perMillion, 0);

/**
 * `last_used_at` writes per request of a key receiving `requestsPerSecond` as a Poisson stream,
 * under the authorizer's rule (write when the stored value is older than `intervalMs`), simulated
 * over `requests` arrivals with a seeded generator by the caller's `authorizeAt` (the real
 * authorizer on a virtual clock). Returns writes / requests.
 */
export async function simulateUsageWrites(
  requestsPerSecond: number,
  requests: number,
  authorizeAt: (atMs: number) => Promise<void>,
  writes: () => number,
  seed = 15,
): Promise<number> {
  const random = mulberry32(seed);
  let atMs = 0;
  const before = writes();
  for (let i = 0; i < requests; i++) {
    atMs += (-Math.log(1 - random()) / requestsPerSecond) * 1000;
    await authorizeAt(atMs);
  }
  return (writes() - before) / requests;
}

/** A small seeded PRNG (uniform in [0, 1)), so the simulated workload is the same every run. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
