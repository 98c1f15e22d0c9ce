/**
 * Section 9 of the bench (run.ts): the complete cost of a million authorized requests at the
 * default configuration, line by line with its price, and what plans, usage counting, a hot key,
 * a narrower key and the options change. What the path consumes is measured here, against
 * DynamoDB Local and the authorizer bundle's own output; the arithmetic is ../cost.ts.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { hotKeyRead, usageWrite } from '../../lambdas/adapters/dynamodb/hot-key-requests';
import type { DynamoDbKeyStore } from '../../lambdas/adapters/dynamodb/key-store';
import type { DynamoDbHttpKeyLookup } from '../../lambdas/adapters/dynamodb-http/key-lookup';
import type { createApiKeyAuthorizer } from '../../lambdas/api-key-authorizer';
import type { HotKey } from '../../lambdas/domain/api-key';
import { ManualClock } from '../../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import type { HotKeyStore } from '../../lambdas/domain/ports';
import { EXAMPLE_ROUTES } from '../../lambdas/domain/routes';
import { hashToken } from '../../lambdas/domain/token';
import { type AccessLogFormatName, DEFAULT_ACCESS_LOG_FORMAT } from '../../lambdas/observability/access-log-fields';
import type { createServices } from '../../lambdas/runtime/services';
import { FUNCTION_LOGGING } from '../../lib/constructs/keyward-function';
import { accessLogLine } from '../access-log';
import { minuteFlushOutput, outputPerRequest } from '../bundles';
import {
  type CostLine,
  completeCost,
  LOG_EVENT_OVERHEAD_BYTES,
  type PathConsumption,
  PRICES,
  REFERENCE_WORKLOAD,
  SECONDS_PER_MONTH,
  sampledTracesPerMillion,
  simulateUsageWrites,
  totalOf,
} from '../cost';
import { count, usd } from '../format';
import { printTable, TABLE } from '../harness';
import { itemSize } from '../item-size';
import { benchUsage, REFERENCE_SHAPES } from '../usage';

/** The usage aggregator's batches at the reference workload: 20 lines over 1,000 keys (section 10's first row). */
const REFERENCE_USAGE_SHAPE = REFERENCE_SHAPES[0]!;

/** What section 9 measures on: the bench's table and key, the authorizer's CPU (section 1) and bundle (section 6). */
export interface CostBench {
  readonly db: DynamoDBDocumentClient;
  readonly dynamoEndpoint: string;
  /** The 10-key table; its first key's token is measured. */
  readonly small: {
    readonly token: string;
    readonly lookup: DynamoDbHttpKeyLookup;
    readonly service: ReturnType<typeof createServices>['keys'];
    readonly store: DynamoDbKeyStore;
    readonly organizationId: string;
  };
  /** The bench key's hot item. */
  readonly hotKey: { readonly pk: string; readonly sk: string };
  /** The authorizer's CPU per call (ms), section 1. */
  readonly authorizerCpuMs: number;
  /** The authorizer's bundle, section 6. */
  readonly authorizerBundle: string;
  /** An authorization of the bench key that is allowed. */
  readonly allowed: APIGatewayRequestAuthorizerEvent;
  /** The function's environment as deployed. */
  readonly childEnv: NodeJS.ProcessEnv;
  /** Imported by run.ts once the environment is set. */
  readonly createApiKeyAuthorizer: typeof createApiKeyAuthorizer;
}

/** Prints section 9. */
export async function printCompleteCost(bench: CostBench): Promise<void> {
  const { db, small, hotKey, allowed, childEnv, createApiKeyAuthorizer } = bench;
  const { token } = small;
  let writeUnits = { defaultKey: 0, narrowKey: 0, resources: 0 };
  /** The usage writes measured so far (usageWriteUnits). */
  let usageWrites = 0;
  const consumption = await pathConsumption();
  const printBill = (title: string, lines: CostLine[]) =>
    printTable(title, [
      ['line', 'per request', 'price', '$ per million'],
      ...lines.map((line) => [line.line, line.quantity, line.price, usd(line.perMillion, 4)]),
      ['total', '', '', `${usd(totalOf(lines))} (goal ≤ $4.25)`],
    ]);
  const reference = completeCost(
    { ...consumption.common, writesPerRequest: consumption.writesPerRequest.spread },
    REFERENCE_WORKLOAD.requestsPerMonth,
  );
  printBill(
    `9. Complete cost per million authorized requests, the authorization path (issue 15's goal ≤ $4.25 applies to this total), default configuration (512 MB, JSON logs, platform lines at ${FUNCTION_LOGGING.systemLogLevelV2}, ${DEFAULT_ACCESS_LOG_FORMAT} access log, consumer tracing off, per-method metrics off, plans off, usage counting off): ${count(REFERENCE_WORKLOAD.requestsPerMonth)} a month over ${count(REFERENCE_WORKLOAD.keys)} keys`,
    reference,
  );
  // Plans on: usage plans and their API keys cost nothing in API Gateway; what changes is the hot
  // item (it carries the organization's usage identifier, which the authorizer names as
  // usageIdentifierKey in its answer, and an answer is billed nowhere): its read and write units, measured again.
  const withPlans = completeCost(
    {
      ...consumption.common,
      readUnits: consumption.plans.readUnits,
      writeUnitsPerWrite: consumption.plans.writeUnitsPerWrite,
      writesPerRequest: consumption.writesPerRequest.spread,
    },
    REFERENCE_WORKLOAD.requestsPerMonth,
  );
  const changed = withPlans.filter((line, i) => line.perMillion !== reference[i]!.perMillion).map((line) => line.line);
  // Usage counting on: the aggregator and rollup (section 10's reference row, measured here).
  const [usageRow] = await benchUsage(bench.dynamoEndpoint, 'keyward-bench-usage-section-9', [REFERENCE_USAGE_SHAPE]);
  if (!usageRow) throw new Error('the usage bench returned no row');
  printTable(
    `   the same with the options of issue 18: plans on (usage plans), usage counting on (the usage aggregator and rollup, section 10's row of ${REFERENCE_USAGE_SHAPE[0]}-line batches over ${count(REFERENCE_USAGE_SHAPE[1])} keys, measured here)`,
    [
      ['configuration', 'what changes', '$ per million', 'total'],
      ['plans off, usage counting off (above)', '', '', usd(totalOf(reference))],
      [
        `plans on (hot item ${consumption.plans.hotItemBytes} B with the usage identifier, was ${consumption.plans.hotItemBytesWithout} B)`,
        `${changed.length === 0 ? 'no line' : changed.join(', ')}: usage plans and API keys are free; ${consumption.plans.readUnits} RRU a read, ${consumption.plans.writeUnitsPerWrite} WRU a write`,
        usd(totalOf(withPlans) - totalOf(reference), 4),
        usd(totalOf(withPlans)),
      ],
      [
        'plans on, usage counting on',
        `+ aggregator (${usageRow.rawItems} raw items, ${usageRow.rawWriteUnits} WRU a batch) and rollup`,
        usd(usageRow.costPerMillion, 4),
        usd(totalOf(withPlans) + usageRow.costPerMillion),
      ],
    ],
  );
  const hotMonthly = REFERENCE_WORKLOAD.hotKeyRequestsPerSecond * SECONDS_PER_MONTH;
  printBill(
    `   the same, one hot key at ${REFERENCE_WORKLOAD.hotKeyRequestsPerSecond} req/s (${count(Math.round(hotMonthly / 1e6))}M a month; API Gateway's first-tier price kept)`,
    completeCost({ ...consumption.common, writesPerRequest: consumption.writesPerRequest.hot }, hotMonthly),
  );
  printTable(
    '   the last_used_at write by key (ReturnConsumedCapacity: a write costs one unit per KB of the larger of the item before and after)',
    [
      ['key', 'write units a write', '$ per million at the reference workload', 'the total above with it'],
      ...[
        [`default permissions (all ${writeUnits.resources} resources, read and write): priced above`, writeUnits.defaultKey],
        ['one resource', writeUnits.narrowKey],
      ].map(([key, units]) => {
        const costs = completeCost(
          { ...consumption.common, writeUnitsPerWrite: Number(units), writesPerRequest: consumption.writesPerRequest.spread },
          REFERENCE_WORKLOAD.requestsPerMonth,
        );
        return [
          String(key),
          `${units} WRU`,
          usd(consumption.writesPerRequest.spread * Number(units) * PRICES.writeUnitsPerMillion, 4),
          usd(totalOf(costs)),
        ];
      }),
    ],
  );
  const traced = sampledTracesPerMillion(REFERENCE_WORKLOAD.requestsPerMonth / SECONDS_PER_MONTH);
  const billedLine = (bytes: number) => bytes + LOG_EVENT_OVERHEAD_BYTES;
  const fullLine = billedLine(consumption.accessLogBytes.full);
  const leanLine = billedLine(consumption.accessLogBytes.lean);
  printTable('   what the options add (accessLogFormat, consumerApiTracing, per-method metrics), per million at the reference workload', [
    ['option', 'per request', '$ per million'],
    [
      'accessLogFormat=full (the lean fields + API id, request id, times, caller, route, latencies)',
      `1 event, ${fullLine} B instead of ${leanLine} B`,
      usd(((fullLine - leanLine) * PRICES.logsIngestionPerGb) / 1e3, 4),
    ],
    ['consumerApiTracing=true (default sampling)', `${(traced / 1e6).toFixed(4)} traces`, usd((traced / 1e6) * 5, 4)],
    [
      `per-method stage metrics (${EXAMPLE_ROUTES.length} methods × 7 metrics)`,
      `${EXAMPLE_ROUTES.length * 7} metrics/month`,
      usd((EXAMPLE_ROUTES.length * 7 * 0.3) / (REFERENCE_WORKLOAD.requestsPerMonth / 1e6), 4),
    ],
  ]);

  /** What the authorizer's path consumes, counted against DynamoDB Local and the function's own output. */
  async function pathConsumption(): Promise<{
    common: Omit<PathConsumption, 'writesPerRequest'>;
    writesPerRequest: { spread: number; hot: number };
    accessLogBytes: Record<AccessLogFormatName, number>;
    plans: { readUnits: number; writeUnitsPerWrite: number; hotItemBytes: number; hotItemBytesWithout: number };
  }> {
    const probe = await small.lookup.findByHash(hashToken(token));
    if (!probe) throw new Error('the bench key vanished');
    const read = await db.send(new GetCommand({ ...hotKeyRead(TABLE, probe.tokenHash), ReturnConsumedCapacity: 'TOTAL' }));
    const readUnits = read.ConsumedCapacity?.CapacityUnits;
    const writeUnitsPerWrite = await usageWriteUnits(probe);
    // A key of one resource: a hot item under 1 KB (the default key's holds the whole catalog, read and write).
    const narrow = await small.service.create(
      small.organizationId,
      { type: 'user', email: 'bench@example.test' },
      { permissions: { customer: ['read'] } },
    );
    const narrowKey = await small.lookup.findByHash(hashToken(narrow.value));
    const narrowWriteUnits = narrowKey && (await usageWriteUnits(narrowKey));
    if (readUnits === undefined || writeUnitsPerWrite === undefined || narrowWriteUnits === undefined)
      throw new Error('DynamoDB Local returned no ConsumedCapacity');
    writeUnits = { defaultKey: writeUnitsPerWrite, narrowKey: narrowWriteUnits, resources: DEFAULT_RESOURCE_CATALOG.length };
    const perKeyPerSecond = REFERENCE_WORKLOAD.requestsPerMonth / REFERENCE_WORKLOAD.keys / SECONDS_PER_MONTH;
    const spread = await usageWritesPerRequest(perKeyPerSecond, 20_000);
    const hot = await usageWritesPerRequest(REFERENCE_WORKLOAD.hotKeyRequestsPerSecond, 150_000);
    const functionLog = outputPerRequest(bench.authorizerBundle, allowed, 200, childEnv);
    const functionMinuteLog = minuteFlushOutput(bench.authorizerBundle, allowed, childEnv);
    const access = (format: AccessLogFormatName) =>
      accessLogLine({
        format,
        method: 'GET',
        resource: '/v1/customers/{id}',
        path: '/v1/customers/cus_01JEXAMPLE',
        apiKeyId: probe.apiKeyId,
        organizationId: probe.organizationId,
        tracing: false,
      });
    const accessLogBytes = { lean: Buffer.byteLength(access('lean')), full: Buffer.byteLength(access('full')) };
    // START, END and REPORT as Lambda writes them in text format, were they on.
    const requestId = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
    const platformLines = [
      `START RequestId: ${requestId} Version: $LATEST`,
      `END RequestId: ${requestId}`,
      `REPORT RequestId: ${requestId}\tDuration: 5.12 ms\tBilled Duration: 6 ms\tMemory Size: 512 MB\tMax Memory Used: 79 MB`,
    ];
    const platformOn = FUNCTION_LOGGING.systemLogLevelV2 !== 'WARN';
    return {
      common: {
        memoryMb: 512,
        cpuMs: bench.authorizerCpuMs,
        readUnits,
        writeUnitsPerWrite,
        functionLog,
        functionMinuteLog,
        platformLog: platformOn
          ? { events: platformLines.length, bytes: platformLines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) }
          : { events: 0, bytes: 0 },
        // The stage's default format (lib/config.ts): lean.
        accessLog: { events: 1, bytes: accessLogBytes[DEFAULT_ACCESS_LOG_FORMAT] },
        // CloudWatch bills a custom metric for the hours it is published: the decision totals
        // (Authorized, Denied, Unauthorized) and the two access-log metric filters all month; a
        // Denied per code or Unauthorized per reason only in the months that code or reason occurs.
        customMetrics: 3 + 2,
        tracesPerMillion: 0,
      },
      writesPerRequest: { spread, hot },
      accessLogBytes,
      plans: await withUsageIdentifier(probe),
    };
  }

  /**
   * Plans on (API.md §9): the organization gets a usage identifier (an API Gateway API key's value,
   * 40 characters as the adapter makes them), which every hot item of its keys carries. The bench
   * key's hot item measured again: its size, a read's and a `last_used_at` write's units. Last, as
   * it changes the bench key's item.
   */
  async function withUsageIdentifier(key: HotKey) {
    const hotItem = async () => (await db.send(new GetCommand({ TableName: TABLE, Key: hotKey, ConsistentRead: true }))).Item ?? {};
    const hotItemBytesWithout = itemSize(await hotItem());
    await small.store.setUsageIdentifier(small.organizationId, { id: 'a1b2c3d4e5', value: randomBytes(30).toString('base64url') });
    const planned = await small.lookup.findByHash(hashToken(token));
    if (!planned?.usageIdentifier) throw new Error('the bench key has no usage identifier');
    const read = await db.send(new GetCommand({ ...hotKeyRead(TABLE, key.tokenHash), ReturnConsumedCapacity: 'TOTAL' }));
    const readUnits = read.ConsumedCapacity?.CapacityUnits;
    const writeUnitsPerWrite = await usageWriteUnits(planned);
    if (readUnits === undefined || writeUnitsPerWrite === undefined) throw new Error('DynamoDB Local returned no ConsumedCapacity');
    return { readUnits, writeUnitsPerWrite, hotItemBytes: itemSize(await hotItem()), hotItemBytesWithout };
  }

  /** The consumed write units of the usage write, as the authorizer sends it, on the bench key's items. */
  async function usageWriteUnits(key: HotKey): Promise<number | undefined> {
    // An hour later than the last one measured: its condition (the stored value stale) holds.
    usageWrites += 1;
    const at = new Date(Date.now() + usageWrites * 3_600_000);
    const request = usageWrite(TABLE, key, at, new Date(at.getTime() - 60_000));
    const result = await db.send(new UpdateCommand({ ...request, ReturnConsumedCapacity: 'TOTAL' }));
    return result.ConsumedCapacity?.CapacityUnits;
  }

  /** `last_used_at` writes per request of one key at `perSecond` (Poisson arrivals), through the real authorizer. */
  async function usageWritesPerRequest(perSecond: number, requests: number): Promise<number> {
    const origin = Date.parse('2026-12-01T00:00:00Z');
    const simulated = new ManualClock(new Date(origin));
    const base = await small.lookup.findByHash(hashToken(token));
    if (!base) throw new Error('the bench key vanished');
    // The hot item in memory, with DynamoDB's condition: the rule under test is the authorizer's.
    let stored: HotKey = { ...base, lastUsedAt: null };
    let written = 0;
    const memory: HotKeyStore = {
      findByHash: async () => stored,
      recordUsage: async (_key, at, staleBefore) => {
        if (stored.lastUsedAt !== null && Date.parse(stored.lastUsedAt) >= staleBefore.getTime()) return false;
        stored = { ...stored, lastUsedAt: at.toISOString() };
        written += 1;
        return true;
      },
    };
    const simulate = createApiKeyAuthorizer({ store: memory, clock: simulated, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    return simulateUsageWrites(
      perSecond,
      requests,
      async (atMs) => {
        simulated.set(new Date(origin + atMs));
        await simulate(allowed);
      },
      () => written,
    );
  }
}
