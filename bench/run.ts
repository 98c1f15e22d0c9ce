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
 *      GetItem at equal concurrency (bench/sections/end-to-end.ts).
 *   8. Lambda's cost per authorization at 128–1024 MB.
 *   9. The complete cost of a million authorized requests at the default configuration, line by
 *      line with its price: capacity units from ReturnConsumedCapacity, `last_used_at` writes
 *      simulated with the real authorizer at the reference workload, log bytes the function
 *      really writes and the access log's format, metrics and traces (bench/sections/cost.ts).
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

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import { DynamoDbHttpClient } from '../lambdas/adapters/dynamodb-http/client';
import { DynamoDbHttpKeyLookup } from '../lambdas/adapters/dynamodb-http/key-lookup';
import { withHotKeyCache } from '../lambdas/adapters/hot-key-cache';
import { ManualClock, systemClock } from '../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../lambdas/domain/permissions';
import { EXAMPLE_ROUTES, serializeRoutes } from '../lambdas/domain/routes';
import { hashToken } from '../lambdas/domain/token';
import { createServices } from '../lambdas/runtime/services';
import { type ApiTarget, authorizerEvent } from '../local/api-gateway-events';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { startGateway } from '../local/gateway';
import { ensureTable } from '../local/table';
import { plainSecretBox } from '../test/support/fakes';
import { freePort } from '../test/support/free-port';
import {
  baselineEntries,
  bundle,
  firstRequest as firstRequestOf,
  moduleLoad,
  p50InFreshProcesses,
  unauthorized as unauthorizedOf,
} from './bundles';
import { ASSUMED_GETITEM_MS, costTable } from './cost';
import { kb, ms, notMeasured, percent, ratio, times, us, usd } from './format';
import { counting, interleaved, printTable, sectionsAsked, seedHotItems, TABLE } from './harness';
import { leakReportFigures } from './leaks';
import { printCompleteCost } from './sections/cost';
import { measureEndToEnd, printEndToEnd } from './sections/end-to-end';
import { percentile } from './stats';
import { benchUsage, USAGE_COST_NOTE, USAGE_TITLE, usageTableRows } from './usage';

const ROOT = resolve(__dirname, '..');
const LARGE_TABLE = 'keyward-bench-100k';
const SMALL_TABLE_KEYS = 10;
const LARGE_TABLE_KEYS = 100_000;
const LATENCY_SAMPLES = 3000;
const HOT_KEY_REQUESTS = 10_000;
const HOT_KEY_INTERVAL_MS = 0.1;
/** What one partition, and so one key's hot item, serves in strongly consistent reads per second. */
const PARTITION_READS_PER_SECOND = 3000;
const TARGETS = { bundleBytes: 250_000, loadRatio: 0.5, p50Ratio: 1.05, p99Ratio: 1.2 };

const ASKED = sectionsAsked(process.argv.slice(2));
/** Whether any of `sections` is to run. */
const want = (...sections: number[]) => ASKED.size === 0 || sections.some((n) => ASKED.has(n));

const BENCH_API: ApiTarget = { region: 'us-east-1', accountId: '123456789012', apiId: 'bench', stage: 'prod' };

function event(token: string, method = 'GET', resource = '/v1/customers'): APIGatewayRequestAuthorizerEvent {
  return authorizerEvent({ method, resource, headers: { 'x-api-key': token }, api: BENCH_API });
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

    // 7. End to end, equal concurrency (sections/end-to-end.ts).
    const e2e = want(7) && (await measureEndToEnd({ gatewayUrl: gateway.url, dynamoEndpoint: dynamo.endpoint, token, hotKey }));

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

    if (e2e) printEndToEnd(e2e);

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
    if (want(9))
      await printCompleteCost({
        db,
        dynamoEndpoint: dynamo.endpoint,
        small,
        hotKey,
        authorizerCpuMs: cpu.authorizer,
        authorizerBundle: bundles.authorizer.file,
        allowed,
        childEnv,
        createApiKeyAuthorizer,
      });

    if (want(10)) {
      printTable(`10. ${USAGE_TITLE}`, usageTableRows(await benchUsage(dynamo.endpoint)));
      console.log(`  ${USAGE_COST_NOTE}`);
    }

    if (want(11))
      printTable(
        '11. Secret-scanning reports of 1,000 tokens (API.md §10), through the leak service on DynamoDB Local',
        await leakReportFigures(db, client, 'keyward-bench-leaks'),
      );

    console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    await gateway.close();
    client.destroy();
    rmSync(work, { recursive: true, force: true });
    await dynamo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
