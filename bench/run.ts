/**
 * `npm run bench`: measures the quality targets of DESIGN.md against baselines taken in the same
 * run, on the real engine (DynamoDB Local), and prints the figures. It asserts nothing: timing
 * belongs here, not in tests.
 *
 *   1. Authorizer p50 vs one bare strongly consistent GetItem (target ≤ 1.15×).
 *   2. Malformed-key rejection: time per call and database reads (target: microseconds, 0 reads).
 *   3. last_used_at writes per key per 60 s under sustained traffic (target ≤ 1).
 *   4. Authorizer bundle size and module load time vs the DynamoDB client alone.
 *   5. Database reads for one hot key at 10,000 req/s, with the in-function cache off and at 1 s,
 *      against a partition's 3,000 strongly consistent reads/s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import { withHotKeyCache } from '../lambdas/adapters/hot-key-cache';
import { ManualClock, systemClock } from '../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../lambdas/domain/permissions';
import type { KeyStore } from '../lambdas/domain/ports';
import { EXAMPLE_ROUTES } from '../lambdas/domain/routes';
import { hashToken } from '../lambdas/domain/token';
import { documentClient } from '../lambdas/runtime/clients';
import { createServices } from '../lambdas/runtime/services';
import { BUNDLE_TARGET } from '../lib/constructs/keyward-function';
import { type ApiTarget, authorizerEvent } from '../local/api-gateway-events';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureTable } from '../local/table';
import { plainSecretBox } from '../test/support/fakes';
import { freePort } from '../test/support/free-port';

const ROOT = resolve(__dirname, '..');
const TABLE = 'keyward-bench';
const HOT_KEY_REQUESTS = 10_000;
const HOT_KEY_INTERVAL_MS = 0.1;
/** What one partition, and so one key's hot item, serves in strongly consistent reads per second. */
const PARTITION_READS_PER_SECOND = 3000;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const BENCH_API: ApiTarget = { region: 'us-east-1', accountId: '123456789012', apiId: 'bench', stage: 'prod' };

function event(token: string, method = 'GET', resource = '/v1/customers'): APIGatewayRequestAuthorizerEvent {
  return authorizerEvent({ method, resource, headers: { 'x-api-key': token }, api: BENCH_API });
}

/** Counts reads and writes that reach the store. */
function counting(store: KeyStore) {
  const counts = { reads: 0, usageWrites: 0 };
  const proxy: KeyStore = Object.create(store);
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

async function main(): Promise<void> {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  const work = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  try {
    Object.assign(process.env, { TABLE_NAME: TABLE, DYNAMODB_ENDPOINT: dynamo.endpoint, AWS_REGION: LOCAL_AWS.region });
    process.env.AWS_ACCESS_KEY_ID = LOCAL_AWS.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_AWS.credentials.secretAccessKey;
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
    await ensureTable(client, TABLE);
    const db = documentClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
    const store = new DynamoDbKeyStore(db, TABLE);
    const { organizations } = createServices({
      store,
      secrets: plainSecretBox,
      clock: systemClock,
      keyPrefix: 'kw',
      catalog: DEFAULT_RESOURCE_CATALOG,
    });
    const { api_key } = await organizations.create({
      name: 'Bench',
      admins: ['bench@example.test'],
    });
    const token = api_key.value;
    const { createApiKeyAuthorizer } = await import('../lambdas/api-key-authorizer');

    // 1. Latency: interleaved batches so drift in the engine affects both sides alike.
    const authorize = createApiKeyAuthorizer({ store, clock: systemClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const getItem = () =>
      db.send(new GetCommand({ TableName: TABLE, Key: { pk: `KEYHASH#${hashToken(token)}`, sk: 'KEYHASH' }, ConsistentRead: true }));
    const allowed = event(token);
    const bare: number[] = [];
    const authorized: number[] = [];
    for (let i = 0; i < 200; i++) await Promise.all([getItem(), authorize(allowed)]);
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        await getItem();
        bare.push(performance.now() - t0);
      }
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        await authorize(allowed);
        authorized.push(performance.now() - t0);
      }
    }

    // 2. Malformed keys: no I/O at all.
    const { proxy: countedStore, counts } = counting(store);
    const guarded = createApiKeyAuthorizer({ store: countedStore, clock: systemClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const badChecksum = event(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
    const rejections = 50_000;
    const r0 = performance.now();
    for (let i = 0; i < rejections; i++) await guarded(badChecksum).catch(() => undefined);
    const perRejectionUs = ((performance.now() - r0) * 1000) / rejections;
    const readsForMalformed = counts.reads;

    // 3. Usage writes: 10 simulated minutes at 50 req/s on one key.
    const clock = new ManualClock(new Date());
    const { proxy: writeCounted, counts: writes } = counting(store);
    const timed = createApiKeyAuthorizer({ store: writeCounted, clock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
    const simulatedMinutes = 10;
    for (let i = 0; i < simulatedMinutes * 60 * 50; i++) {
      await timed(allowed);
      clock.advance(20);
    }

    // 4. Bundle size and module load: the authorizer vs the DynamoDB document client alone.
    const baselineEntry = join(work, 'dynamodb-only.ts');
    writeFileSync(
      baselineEntry,
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nexport const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\n`,
    );
    const bundle = async (entry: string, name: string) => {
      const outfile = join(work, `${name}.js`);
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        minify: true,
        treeShaking: true,
        platform: 'node',
        // As deployed (KeywardFunction's bundling).
        target: BUNDLE_TARGET,
        format: 'cjs',
        nodePaths: [join(ROOT, 'node_modules')],
        logLevel: 'silent',
      });
      return outfile;
    };
    const authorizerBundle = await bundle(join(ROOT, 'lambdas/api-key-authorizer.ts'), 'authorizer');
    const baselineBundle = await bundle(baselineEntry, 'baseline');
    const loadMs = (file: string) => {
      const samples: number[] = [];
      for (let i = 0; i < 15; i++) {
        const out = execFileSync(
          process.execPath,
          ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`],
          { env: { ...process.env, TABLE_NAME: TABLE }, encoding: 'utf8' },
        );
        samples.push(Number(out.trim()));
      }
      return percentile(samples, 50);
    };
    const authorizerLoad = loadMs(authorizerBundle);
    const baselineLoad = loadMs(baselineBundle);

    // 5. One hot key: 10,000 authorizations 0.1 ms apart (10,000 req/s for 1 simulated second),
    // counting the reads that reach the table, with the cache off and with a 1 s cache.
    const hotKeyReads = async (cacheMs: number) => {
      const start = Date.now();
      const hotClock = new ManualClock(new Date(start));
      const { proxy: readCounted, counts: hotCounts } = counting(store);
      const hotStore = cacheMs > 0 ? withHotKeyCache(readCounted, { ttlMs: cacheMs, maxEntries: 1000, clock: hotClock }) : readCounted;
      const hot = createApiKeyAuthorizer({ store: hotStore, clock: hotClock, keyPrefix: 'kw', routes: EXAMPLE_ROUTES });
      for (let i = 0; i < HOT_KEY_REQUESTS; i++) {
        // Set from the start rather than advanced: 10,000 float additions of 0.1 drift past 1 s.
        hotClock.set(new Date(start + i * HOT_KEY_INTERVAL_MS));
        await hot(allowed);
      }
      return hotCounts.reads / ((HOT_KEY_REQUESTS * HOT_KEY_INTERVAL_MS) / 1000);
    };
    const hotReadsUncached = await hotKeyReads(0);
    const hotReadsCached = await hotKeyReads(1000);

    const p50Bare = percentile(bare, 50);
    const p50Auth = percentile(authorized, 50);
    const kib = (file: string) => statSync(file).size / 1024;
    const rows: [string, string, string][] = [
      ['bare GetItem (ConsistentRead) p50 / p95', `${p50Bare.toFixed(3)} / ${percentile(bare, 95).toFixed(3)} ms`, 'baseline'],
      [
        'authorizer (valid key, allowed) p50 / p95',
        `${p50Auth.toFixed(3)} / ${percentile(authorized, 95).toFixed(3)} ms`,
        `${(p50Auth / p50Bare).toFixed(3)}× baseline (target ≤ 1.15×)`,
      ],
      [
        'malformed key rejection',
        `${perRejectionUs.toFixed(2)} µs/call`,
        `${readsForMalformed} database reads in ${rejections} calls (target 0)`,
      ],
      [
        'last_used_at writes, 1 key, 50 req/s',
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
      [
        'authorizer bundle (minified)',
        `${kib(authorizerBundle).toFixed(1)} KiB`,
        `${(kib(authorizerBundle) / kib(baselineBundle)).toFixed(3)}× DynamoDB client alone (${kib(baselineBundle).toFixed(1)} KiB)`,
      ],
      [
        'authorizer module load p50',
        `${authorizerLoad.toFixed(2)} ms`,
        `${(authorizerLoad / baselineLoad).toFixed(3)}× DynamoDB client alone (${baselineLoad.toFixed(2)} ms)`,
      ],
    ];
    const width = Math.max(...rows.map((row) => row[0].length));
    const valueWidth = Math.max(...rows.map((row) => row[1].length));
    console.log(`keyward benchmarks — DynamoDB Local, Node ${process.version}, ${new Date().toISOString()}\n`);
    for (const [name, value, ratio] of rows) console.log(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${ratio}`);
    client.destroy();
    db.destroy();
  } finally {
    rmSync(work, { recursive: true, force: true });
    await dynamo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
