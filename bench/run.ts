/**
 * `npm run bench`: measures the quality targets of DESIGN.md and issue 12 against baselines taken
 * in the same run, on the real engine (DynamoDB Local), and prints the figures. It asserts
 * nothing: timing belongs here, not in tests. Bounded: about 3 minutes on a 2-core machine.
 *
 *   1. Authorizer p50/p99 vs one bare strongly consistent GetItem, through the SDK and through the
 *      thin adapter (targets p50 ≤ 1.05×, p99 ≤ 1.20×), and the CPU each costs per call.
 *   2. The same decision with 10 and with 100,000 keys in the table.
 *   3. Malformed-key rejection: time per call and database reads (target: microseconds, 0 reads).
 *   4. last_used_at writes per key per 60 s under sustained traffic (target ≤ 1).
 *   5. Database reads for one hot key at 10,000 req/s, with the in-function cache off and at 1 s.
 *   6. Bundle size, module load and first request of the authorizer vs the DynamoDB client alone,
 *      the thin adapter alone and the Powertools logger alone (targets ≤ 250 KB, load ≤ 0.5×), and
 *      what `--enable-source-maps` costs.
 *   7. End to end through the local gateway (autocannon, loopback) next to `/health` and a bare
 *      GetItem at equal concurrency.
 *   8. Lambda's cost per authorization at 128–1024 MB.
 *   9. The complete cost of a million authorized requests at the default configuration, line by
 *      line with its price: capacity units from ReturnConsumedCapacity, `last_used_at` writes
 *      simulated with the real authorizer at the reference workload, log bytes the function
 *      really writes and the access log's format, metrics and traces.
 *  10. The usage aggregator and rollup: access log lines counted per second per invocation, and
 *      the cost per million requests, at the reference workload and at few keys per batch
 *      (bench/usage.ts; `tsx bench/usage.ts` runs it alone).
 *  11. A secret-scanning report of 1,000 tokens: look-alikes, unknown tokens, live keys rotated
 *      (bench/leaks.ts; `tsx bench/leaks.ts` runs it alone).
 *
 * Tables only on stdout: ./quiet (imported first) silences the Powertools output of the
 * functions that run in this process.
 *
 * `npm run bench -- --section 9` (repeatable, or `--section 1,9`) runs and prints only those
 * sections, plus the measurements they depend on (section 9 takes the CPU of section 1 and the
 * authorizer bundle of section 6).
 */

import './quiet';

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import * as aws4 from 'aws4';
import { hotKeyRead, usageWrite } from '../lambdas/adapters/dynamodb/hot-key-requests';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import { DynamoDbHttpClient } from '../lambdas/adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from '../lambdas/adapters/dynamodb-http/key-lookup';
import { withHotKeyCache } from '../lambdas/adapters/hot-key-cache';
import type { HotKey } from '../lambdas/domain/api-key';
import { ManualClock, systemClock } from '../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../lambdas/domain/permissions';
import type { HotKeyStore } from '../lambdas/domain/ports';
import { EXAMPLE_ROUTES, serializeRoutes } from '../lambdas/domain/routes';
import { hashToken } from '../lambdas/domain/token';
import { type AccessLogFormatName, DEFAULT_ACCESS_LOG_FORMAT } from '../lambdas/observability/access-log-fields';
import { createServices } from '../lambdas/runtime/services';
import { FUNCTION_LOGGING } from '../lib/constructs/keyward-function';
import { type ApiTarget, authorizerEvent } from '../local/api-gateway-events';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { startGateway } from '../local/gateway';
import { ensureTable } from '../local/table';
import { plainSecretBox } from '../test/support/fakes';
import { freePort } from '../test/support/free-port';
import { accessLogLine } from './access-log';
import {
  baselineEntries,
  bundle,
  firstRequest as firstRequestOf,
  minuteFlushOutput,
  moduleLoad,
  outputPerRequest,
  p50InFreshProcesses,
  unauthorized as unauthorizedOf,
} from './bundles';
import {
  ASSUMED_GETITEM_MS,
  type CostLine,
  completeCost,
  costTable,
  LOG_EVENT_OVERHEAD_BYTES,
  type PathConsumption,
  PRICES,
  REFERENCE_WORKLOAD,
  SECONDS_PER_MONTH,
  sampledTracesPerMillion,
  simulateUsageWrites,
  totalOf,
} from './cost';
import { count, formatTable, kb, ms, notMeasured, percent, ratio, times, us, usd } from './format';
import { itemSize } from './item-size';
import { leakReportFigures } from './leaks';
import { load } from './load';
import { percentile } from './stats';
import { benchUsage, REFERENCE_SHAPES, USAGE_COST_NOTE, USAGE_TITLE, usageTableRows } from './usage';

/** The usage aggregator's batches at the reference workload: 20 lines over 1,000 keys (section 10's first row). */
const REFERENCE_USAGE_SHAPE = REFERENCE_SHAPES[0]!;

const ROOT = resolve(__dirname, '..');
const TABLE = 'keyward-bench';
const LARGE_TABLE = 'keyward-bench-100k';
const SMALL_TABLE_KEYS = 10;
const LARGE_TABLE_KEYS = 100_000;
const LATENCY_SAMPLES = 3000;
const HOT_KEY_REQUESTS = 10_000;
const HOT_KEY_INTERVAL_MS = 0.1;
/** What one partition, and so one key's hot item, serves in strongly consistent reads per second. */
const PARTITION_READS_PER_SECOND = 3000;
const LOAD = { connections: 8, seconds: 5 };
const TARGETS = { bundleBytes: 250_000, loadRatio: 0.5, p50Ratio: 1.05, p99Ratio: 1.2 };

/** The sections asked for on the command line (`--section 9`, `--section=1,9`); empty = all. */
function sectionsAsked(argv: readonly string[]): Set<number> {
  const asked = new Set<number>();
  argv.forEach((arg, i) => {
    const list = arg.startsWith('--section=') ? arg.slice('--section='.length) : arg === '--section' ? argv[i + 1] : undefined;
    for (const item of list?.split(',') ?? []) {
      const n = Number(item);
      if (!Number.isInteger(n) || n < 1 || n > 11) throw new Error(`--section ${item}: not a section of the bench (1–11)`);
      asked.add(n);
    }
  });
  return asked;
}
const ASKED = sectionsAsked(process.argv.slice(2));
/** Whether any of `sections` is to run. */
const want = (...sections: number[]) => ASKED.size === 0 || sections.some((n) => ASKED.has(n));

const BENCH_API: ApiTarget = { region: 'us-east-1', accountId: '123456789012', apiId: 'bench', stage: 'prod' };

function event(token: string, method = 'GET', resource = '/v1/customers'): APIGatewayRequestAuthorizerEvent {
  return authorizerEvent({ method, resource, headers: { 'x-api-key': token }, api: BENCH_API });
}

/** Counts reads and writes that reach the store. */
function counting(store: HotKeyStore) {
  const counts = { reads: 0, usageWrites: 0 };
  const proxy: HotKeyStore = Object.create(store);
  proxy.findByHash = (hash) => {
    counts.reads += 1;
    return store.findByHash(hash);
  };
  proxy.recordUsage = async (key, at, staleBefore) => {
    const wrote = await store.recordUsage(key, at, staleBefore);
    if (wrote) counts.usageWrites += 1;
    return wrote;
  };
  return { proxy, counts };
}

/**
 * Runs each of `calls` once per round, in a rotating order, so drift in the engine and load from
 * elsewhere on the machine affect all alike. Returns each call's wall times and its mean CPU
 * (user + system of this process: the client's side of a request, not DynamoDB Local's), in ms.
 */
async function interleaved<K extends string>(
  calls: Record<K, () => Promise<unknown>>,
  rounds: number,
): Promise<{ wall: Record<K, number[]>; cpu: Record<K, number> }> {
  const names = Object.keys(calls) as K[];
  const wall = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  const cpuMicros = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await calls[name]();
      wall[name].push(performance.now() - t0);
      const used = process.cpuUsage(cpu0);
      cpuMicros[name] += used.user + used.system;
    }
  }
  const cpu = Object.fromEntries(names.map((name) => [name, cpuMicros[name] / rounds / 1000])) as Record<K, number>;
  return { wall, cpu };
}

function printTable(title: string, rows: string[][]): void {
  console.log(formatTable(title, rows));
}

async function main(): Promise<void> {
  const started = performance.now();
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  const lambdaEnv = {
    TABLE_NAME: TABLE,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  };
  Object.assign(process.env, lambdaEnv);
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
  const gateway = await startGateway({ port: await freePort(), jwks: () => ({ keys: [] }), isReady: () => true, log: () => undefined });
  try {
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const thinClient = new DynamoDbHttpClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });

    /** A table whose organization holds `keys` keys; the first one's token is measured. */
    async function benchTable(tableName: string, keys: number) {
      await ensureTable(client, tableName);
      const store = new DynamoDbKeyStore(db, tableName);
      const { keys: service, organizations } = createServices({
        store,
        secrets: plainSecretBox,
        clock: systemClock,
        keyPrefix: 'kw',
        catalog: DEFAULT_RESOURCE_CATALOG,
      });
      const { api_key, organization } = await organizations.create({
        name: 'Bench',
        admins: ['bench@example.test'],
      });
      for (let i = 1; i < keys; i++) await service.create(organization.id, { type: 'user', email: 'bench@example.test' }, {});
      return {
        token: api_key.value,
        lookup: new DynamoDbHttpKeyLookup(thinClient, tableName),
        service,
        store,
        organizationId: organization.id,
      };
    }
    const small = await benchTable(TABLE, SMALL_TABLE_KEYS);
    // The 100,000-key table only for section 2: seeding it is most of a section-9-only run's time otherwise.
    const large = want(2) ? await benchTable(LARGE_TABLE, 1) : undefined;
    const seeded = large ? await seedHotItems(db, LARGE_TABLE, LARGE_TABLE_KEYS - 1) : 0;
    const token = small.token;
    const hotKey = { pk: `KEYHASH#${hashToken(token)}`, sk: 'KEYHASH' };
    const { createApiKeyAuthorizer } = await import('../lambdas/api-key-authorizer');

    // 1. Latency: the authorizer as deployed (thin adapter) vs one bare GetItem each way.
    const authorize = createApiKeyAuthorizer({ store: small.lookup, clock: systemClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const allowed = event(token);
    const calls = {
      sdkGetItem: () => db.send(new GetCommand({ TableName: TABLE, Key: hotKey, ConsistentRead: true })),
      thinGetItem: () => thinClient.send('GetItem', { TableName: TABLE, Key: marshall(hotKey), ConsistentRead: true }),
      authorizer: () => authorize(allowed),
    };
    await interleaved(calls, 300);
    const { wall: latency, cpu } = await interleaved(calls, want(1, 8, 9) ? LATENCY_SAMPLES : 1);

    // 2. Table size: the same decision on a table of 10 keys and on one of 100,000.
    let bySize: Record<'small' | 'large', number[]> = { small: [], large: [] };
    if (large) {
      const authorizeLarge = createApiKeyAuthorizer({ store: large.lookup, clock: systemClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
      const largeAllowed = event(large.token);
      const sizes = { small: () => authorize(allowed), large: () => authorizeLarge(largeAllowed) };
      await interleaved(sizes, 200);
      bySize = (await interleaved(sizes, 2000)).wall;
    }

    // 3. Malformed keys: no I/O at all.
    const { proxy: countedStore, counts } = counting(small.lookup);
    const guarded = createApiKeyAuthorizer({ store: countedStore, clock: systemClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const badChecksum = event(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
    const rejections = want(3) ? 50_000 : 0;
    const r0 = performance.now();
    for (let i = 0; i < rejections; i++) await guarded(badChecksum).catch(() => undefined);
    const perRejectionUs = ((performance.now() - r0) * 1000) / rejections;

    // 4. Usage writes: 10 simulated minutes at 20 req/s on one key.
    const clock = new ManualClock(new Date());
    const { proxy: writeCounted, counts: writes } = counting(small.lookup);
    const timed = createApiKeyAuthorizer({ store: writeCounted, clock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const simulatedMinutes = 10;
    for (let i = 0; want(4) && i < simulatedMinutes * 60 * 20; i++) {
      await timed(allowed);
      clock.advance(50);
    }

    // 5. One hot key: 10,000 authorizations 0.1 ms apart (10,000 req/s for 1 simulated second).
    const hotKeyReads = async (cacheMs: number) => {
      const start = Date.now();
      const hotClock = new ManualClock(new Date(start));
      const { proxy: readCounted, counts: hotCounts } = counting(small.lookup);
      const hotStore = cacheMs > 0 ? withHotKeyCache(readCounted, { ttlMs: cacheMs, maxEntries: 1000, clock: hotClock }) : readCounted;
      const hot = createApiKeyAuthorizer({ store: hotStore, clock: hotClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
      for (let i = 0; i < HOT_KEY_REQUESTS; i++) {
        // Set from the start rather than advanced: 10,000 float additions of 0.1 drift past 1 s.
        hotClock.set(new Date(start + i * HOT_KEY_INTERVAL_MS));
        await hot(allowed);
      }
      return hotCounts.reads / ((HOT_KEY_REQUESTS * HOT_KEY_INTERVAL_MS) / 1000);
    };
    const hotReadsUncached = want(5) ? await hotKeyReads(0) : 0;
    const hotReadsCached = want(5) ? await hotKeyReads(1000) : 0;

    // 6. Bundles: as the CDK bundles them; each load and first request in fresh processes.
    const entries = baselineEntries(work);
    const authorizerBundle = await bundle(work, 'authorizer', join(ROOT, 'lambdas/api-key-authorizer.ts'));
    const baselines = want(6, 8);
    const bundles = {
      authorizer: authorizerBundle,
      sdk: baselines ? await bundle(work, 'sdk-only', entries.sdk) : authorizerBundle,
      thin: baselines ? await bundle(work, 'thin-only', entries.thin) : authorizerBundle,
      logger: baselines ? await bundle(work, 'logger-only', entries.logger) : authorizerBundle,
    };
    // The function's environment as deployed (KeywardFunction, ApiKeyAuthorizer), not this quiet process's.
    const childEnv: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('POWERTOOLS_'))),
      ...lambdaEnv,
      POWERTOOLS_SERVICE_NAME: 'keyward',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_LAMBDA_FUNCTION_NAME: 'keyward-prod-api-key-authorizer',
      KEY_PREFIX: 'kw',
      ROUTE_TABLE: serializeRoutes(EXAMPLE_ROUTES),
    };
    const hash = JSON.stringify(hashToken(token));
    const freshProcesses = {
      authorizer: moduleLoad(bundles.authorizer.file),
      sdk: moduleLoad(bundles.sdk.file),
      thin: moduleLoad(bundles.thin.file),
      logger: moduleLoad(bundles.logger.file),
      authorizerWithSourceMaps: moduleLoad(bundles.authorizer.file, ['--enable-source-maps']),
      authorizerFirst: firstRequestOf(bundles.authorizer.file, `m.handler(${JSON.stringify(allowed)})`),
      sdkFirst: firstRequestOf(bundles.sdk.file, `m.read(${hash})`),
      thinFirst: firstRequestOf(bundles.thin.file, `m.read(${hash})`),
      unauthorized: unauthorizedOf(bundles.authorizer.file, event('kw_not_a_key')),
      unauthorizedWithSourceMaps: unauthorizedOf(bundles.authorizer.file, event('kw_not_a_key'), ['--enable-source-maps']),
    };
    const figures = baselines
      ? p50InFreshProcesses(freshProcesses, childEnv)
      : (Object.fromEntries(Object.keys(freshProcesses).map((name) => [name, Number.NaN])) as Record<keyof typeof freshProcesses, number>);
    const loads = figures;
    const firstRequest = { authorizer: figures.authorizerFirst, sdk: figures.sdkFirst, thin: figures.thinFirst };
    const unauthorized = { plain: figures.unauthorized, sourceMaps: figures.unauthorizedWithSourceMaps };

    // 7. End to end, equal concurrency: the gateway alone, the gateway + authorizer + echo, and
    // one GetItem straight to DynamoDB Local (signed once: DynamoDB Local checks no signature).
    const getItemBody = JSON.stringify({ TableName: TABLE, Key: marshall(hotKey), ConsistentRead: true });
    const signed = aws4.sign(
      {
        host: new URL(dynamo.endpoint).host,
        method: 'POST',
        service: 'dynamodb',
        region: LOCAL_AWS.region,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
        body: getItemBody,
      },
      LOCAL_AWS.credentials,
    );
    const e2e = want(7) && {
      health: await load(`${gateway.url}/health`, LOAD),
      authorized: await load(`${gateway.url}/v1/customers`, { ...LOAD, headers: { 'x-api-key': token } }),
      getItem: await load(`${dynamo.endpoint}/`, {
        ...LOAD,
        method: 'POST',
        headers: Object.fromEntries(Object.entries(signed.headers ?? {}).map(([name, value]) => [name, String(value)])),
        body: getItemBody,
      }),
    };

    // Printing.
    const p = (name: keyof typeof latency, q: number) => percentile(latency[name], q);
    console.log(`keyward benchmarks — DynamoDB Local, Node ${process.version}, ${new Date().toISOString()}`);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`);

    if (want(1))
      printTable(`1. Latency, ${LATENCY_SAMPLES} interleaved calls each (one strongly consistent GetItem of the hot item)`, [
        ['', 'p50', 'p99', 'CPU/call', 'authorizer p50 / this', 'authorizer p99 / this'],
        ...(['sdkGetItem', 'thinGetItem'] as const).map((name) => [
          name === 'sdkGetItem' ? 'bare GetItem, AWS SDK' : 'bare GetItem, thin adapter',
          ms(p(name, 50)),
          ms(p(name, 99)),
          ms(cpu[name]),
          ratio(p('authorizer', 50) / p(name, 50), TARGETS.p50Ratio),
          ratio(p('authorizer', 99) / p(name, 99), TARGETS.p99Ratio),
        ]),
        ['authorizer (valid key, allowed)', ms(p('authorizer', 50)), ms(p('authorizer', 99)), ms(cpu.authorizer), '', ''],
      ]);

    const sizeP = (name: 'small' | 'large', q: number) => percentile(bySize[name], q);
    if (want(2))
      printTable('2. Table size: the authorizer, 2000 interleaved calls on each table', [
        ['keys in the table', 'p50', 'p99'],
        [SMALL_TABLE_KEYS.toLocaleString('en-US'), ms(sizeP('small', 50)), ms(sizeP('small', 99))],
        [(seeded + 1).toLocaleString('en-US'), ms(sizeP('large', 50)), ms(sizeP('large', 99))],
        ['ratio', times(sizeP('large', 50) / sizeP('small', 50)), times(sizeP('large', 99) / sizeP('small', 99))],
      ]);

    if (want(3, 4, 5))
      printTable('3–5. Hot path rules', [
        ['malformed key rejection', `${us(perRejectionUs)}/call`, `${counts.reads} database reads in ${rejections} calls (target 0)`],
        [
          'last_used_at writes, 1 key, 20 req/s',
          `${writes.usageWrites} writes in ${simulatedMinutes} min`,
          `${(writes.usageWrites / simulatedMinutes).toFixed(2)} per key per 60 s (target ≤ 1)`,
        ],
        [
          'hot key reads, 10k req/s, cache off',
          `${hotReadsUncached.toFixed(0)} reads/s`,
          `${(hotReadsUncached / PARTITION_READS_PER_SECOND).toFixed(2)}× a partition's ${PARTITION_READS_PER_SECOND} reads/s (target ≤ 1)`,
        ],
        [
          'hot key reads, 10k req/s, 1 s key cache',
          `${hotReadsCached.toFixed(0)} reads/s`,
          `${(hotReadsCached / PARTITION_READS_PER_SECOND).toFixed(5)}× a partition's ${PARTITION_READS_PER_SECOND} reads/s per warm instance (target ≤ 1)`,
        ],
      ]);

    if (want(6))
      printTable('6. Cold start: bundles as the CDK builds them (minified), p50 of 15 fresh processes each', [
        ['bundle', 'size', 'module load', 'load + first request', 'load vs DynamoDB client alone'],
        [
          'authorizer (thin adapter + Powertools logger)',
          `${kb(bundles.authorizer.bytes)} (target ≤ 250 KB: ${bundles.authorizer.bytes <= TARGETS.bundleBytes ? 'met' : 'NOT met'})`,
          ms(loads.authorizer),
          ms(firstRequest.authorizer),
          ratio(loads.authorizer / loads.sdk, TARGETS.loadRatio),
        ],
        ['DynamoDB document client alone (AWS SDK)', kb(bundles.sdk.bytes), ms(loads.sdk), ms(firstRequest.sdk), '1.000×'],
        [
          'thin adapter alone (aws4 + util-dynamodb)',
          kb(bundles.thin.bytes),
          ms(loads.thin),
          ms(firstRequest.thin),
          times(loads.thin / loads.sdk),
        ],
        [
          'Powertools logger alone',
          kb(bundles.logger.bytes),
          ms(loads.logger),
          notMeasured('it answers no request'),
          times(loads.logger / loads.sdk),
        ],
      ]);
    if (want(6))
      printTable('   NODE_OPTIONS=--enable-source-maps on the authorizer', [
        ['', 'without', 'with', 'cost'],
        [
          'module load',
          ms(loads.authorizer),
          ms(loads.authorizerWithSourceMaps),
          `${loads.authorizerWithSourceMaps >= loads.authorizer ? '+' : '−'}${percent(Math.abs(loads.authorizerWithSourceMaps / loads.authorizer - 1))}`,
        ],
        [
          '401 (malformed key), stack included',
          us(unauthorized.plain),
          us(unauthorized.sourceMaps),
          times(unauthorized.sourceMaps / unauthorized.plain, 1),
        ],
      ]);

    const row = (name: string, result: Awaited<ReturnType<typeof load>>) => [
      name,
      `${result.requestsPerSecond.toFixed(0)} req/s`,
      `${result.p50} ms`,
      `${result.p99} ms`,
      `${result.non2xx + result.errors}`,
    ];
    if (e2e)
      printTable(`7. End to end (autocannon, ${LOAD.connections} connections × ${LOAD.seconds} s each, loopback)`, [
        ['target', 'throughput', 'p50', 'p99', 'non-2xx + errors'],
        row('gateway GET /health', e2e.health),
        row('gateway GET /v1/customers (authorizer + echo)', e2e.authorized),
        row('DynamoDB Local GetItem, direct', e2e.getItem),
      ]);

    const costs = costTable(cpu.authorizer, loads.authorizer);
    if (want(8))
      printTable(
        `8. Lambda per authorization by memory size (arithmetic: CPU ${ms(cpu.authorizer)}/call and load ${ms(loads.authorizer)} measured here × 1769/MB, + ${ASSUMED_GETITEM_MS} ms assumed for the GetItem round trip in AWS)`,
        [
          ['memory', 'CPU/call', 'billed', 'Lambda $/M (requests + GB-s)', 'cold start INIT'],
          ...costs.map((cost) => [
            `${cost.memoryMb} MB`,
            ms(cost.cpuMs),
            `${cost.billedMs} ms`,
            usd(cost.lambdaPerMillion),
            ms(cost.initMs),
          ]),
        ],
      );

    // 9. The complete bill.
    let writeUnits = { defaultKey: 0, narrowKey: 0, resources: 0 };
    /** The usage writes measured so far (usageWriteUnits). */
    let usageWrites = 0;
    if (want(9)) await printCompleteCost();
    async function printCompleteCost(): Promise<void> {
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
      const [usageRow] = await benchUsage(dynamo.endpoint, 'keyward-bench-usage-section-9', [REFERENCE_USAGE_SHAPE]);
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
      printTable(
        '   what the options add (accessLogFormat, consumerApiTracing, per-method metrics), per million at the reference workload',
        [
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
        ],
      );
    }

    if (want(10)) {
      printTable(`10. ${USAGE_TITLE}`, usageTableRows(await benchUsage(dynamo.endpoint)));
      console.log(`  ${USAGE_COST_NOTE}`);
    }

    if (want(11))
      printTable(
        '11. Secret-scanning reports of 1,000 tokens (API.md §10), through the leak service on DynamoDB Local',
        await leakReportFigures(db, client, 'keyward-bench-leaks'),
      );

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
      const functionLog = outputPerRequest(bundles.authorizer.file, allowed, 200, childEnv);
      const functionMinuteLog = minuteFlushOutput(bundles.authorizer.file, allowed, childEnv);
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
          cpuMs: cpu.authorizer,
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
    console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    await gateway.close();
    client.destroy();
    rmSync(work, { recursive: true, force: true });
    await dynamo.stop();
  }
}

/**
 * `count` hot items of keys nobody holds, in BatchWriteItem requests of 25 (its maximum), a few at
 * a time: the table-size case needs the items the authorizer reads, not the management service's
 * per-key transactions.
 */
async function seedHotItems(db: DynamoDBDocumentClient, tableName: string, count: number): Promise<number> {
  const BATCH = 25;
  const WORKERS = 4;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + BATCH);
      let requests = Array.from({ length: next - from }, (_, i) => ({
        PutRequest: {
          Item: {
            pk: `KEYHASH#${hashToken(`kw_seed_${from + i}`)}`,
            sk: 'KEYHASH',
            entity: 'api_key_hash',
            organization_id: 'seed',
            api_key_id: `seed-${from + i}`,
            permissions: { customer: ['read'] },
            version: 1,
          },
        },
      }));
      while (requests.length > 0) {
        const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return count;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
