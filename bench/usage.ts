import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { DynamoDbUsageCounters } from '../lambdas/adapters/dynamodb/usage-counters';
import { logger } from '../lambdas/observability/logger';
import { documentClient } from '../lambdas/runtime/clients';
import { createUsageAggregator, encodeLogsEvent } from '../lambdas/usage/aggregator';
import { LOCAL_AWS } from '../local/dynamodb-local';
import { ensureTable } from '../local/table';
import { PRICES, REFERENCE_WORKLOAD, SECONDS_PER_MONTH } from './cost';

/**
 * The usage aggregator and rollup (API.md §9): how many access log lines one invocation counts
 * per second, and what counting a million requests costs. Measured on DynamoDB Local with batches
 * shaped as CloudWatch Logs delivers them (gzip + base64, up to 10,000 events), through the real
 * handler and the real rollup; the capacity units are DynamoDB Local's `ReturnConsumedCapacity`
 * of every request they send. The CPU part (decode, parse, tally) is measured apart from the
 * writes, because DynamoDB Local's latency is no measure of DynamoDB's.
 */

/** The functions' memory (KeywardFunction's default) and the CPU Lambda gives it (1,769 MB = one vCPU). */
const MEMORY_MB = 512;
const FULL_VCPU_MB = 1769;
/** The assumed round trip of one write (or one Query page) in the region; DynamoDB's are single-digit ms. */
const ASSUMED_REQUEST_MS = 10;
/** The assumed round trip of one TransactWriteItems of up to 100 items (the design before raw tallies). */
const ASSUMED_TRANSACTION_MS = 15;
const COUNTERS_PER_TRANSACTION = 99;
/** The rollup's counter writes in flight at once (usage-counters.ts). */
const ROLLUP_CONCURRENCY = 16;
/** The rollup runs every 15 minutes. */
const ROLLUP_RUNS_PER_HOUR = 4;
/** Requests an hour at the reference workload (50 M a month): ~68,000, ~19 a second. */
const REFERENCE_PER_HOUR = (REFERENCE_WORKLOAD.requestsPerMonth / SECONDS_PER_MONTH) * 3600;

/** Batches at the reference workload: [lines, keys]. */
export const REFERENCE_SHAPES: readonly [number, number][] = [
  [20, 1000],
  [200, 1000],
];

export interface UsageBenchRow {
  lines: number;
  keys: number;
  /** Raw tally items one batch puts, and their write units (measured). */
  rawItems: number;
  rawWriteUnits: number;
  /** The whole invocation on DynamoDB Local, median of the runs. */
  invocationMs: number;
  /** Decode, parse and tally only, median. */
  cpuMs: number;
  linesPerSecond: number;
  /** The rollup, per key and hour rolled: write units (measured); and read units per raw item read (measured). */
  rollupWriteUnitsPerKey: number;
  rollupReadUnitsPerRawItem: number;
  /** The aggregator's Lambda + raw writes, and the rollup's share at this shape's batches at 19 req/s, per million requests. */
  costPerMillion: number;
  /** What the design before (every batch adding to its counters in transactions) cost per million. */
  beforePerMillion: number;
}

function batch(lines: number, keys: number, seq: number, at: number): CloudWatchLogsEvent {
  return encodeLogsEvent({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: 'keyward-bench-example-access-logs',
    logStream: `bench-${seq}`,
    subscriptionFilters: ['usage'],
    logEvents: Array.from({ length: lines }, (_, index) => {
      // Spread over the keys as traffic from many keys is: consecutive batches carry different keys.
      // Key ids as keyward makes them (ULIDs, 26 characters): the raw tally's size is mostly ids.
      const key = `01JDQ3V8Z6M1X0K9B7C5N${String((seq * lines + index) % keys).padStart(5, '0')}`;
      const denied = index % 20 === 0;
      return {
        id: `${seq}-${index}`,
        timestamp: at,
        message: JSON.stringify({
          request_id: `r${seq}-${index}`,
          request_time_epoch: String(at),
          status: denied ? '403' : '200',
          method: 'GET',
          resource: '/v1/customers',
          organization_id: 'bench-organization',
          api_key_id: denied ? '-' : key,
          principal_id: key,
          deny_code: denied ? 'write_action_not_allowed_for_customer' : '-',
          response_latency_ms: '12',
        }),
      };
    }),
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A document client that asks for and sums the consumed capacity of every request sent through it. */
function metered(db: DynamoDBDocumentClient) {
  const units = { read: 0, write: 0 };
  const client = {
    send: async (command: { input: Record<string, unknown>; constructor: { name: string } }) => {
      command.input.ReturnConsumedCapacity = 'TOTAL';
      const output = (await db.send(command as never)) as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
      const consumed = [output.ConsumedCapacity ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (command.constructor.name === 'QueryCommand' || command.constructor.name === 'GetCommand') units.read += consumed;
      else units.write += consumed;
      return output;
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, units };
}

const lambdaCost = (billedMs: number) =>
  PRICES.lambdaRequestsPerMillion / 1e6 + (billedMs / 1000) * (MEMORY_MB / 1024) * PRICES.lambdaGbSecond;
const cpuBilledMs = (cpuMs: number) => (cpuMs * FULL_VCPU_MB) / MEMORY_MB;

/** The batch shapes section 10 measures: the reference workload's, then larger batches and fewer keys. */
export const USAGE_SHAPES: readonly [number, number][] = [
  // The reference workload (50M requests a month over 1,000 keys, ~19 req/s): CloudWatch Logs
  // delivers what the source put, so batches of tens of lines, nearly every line another key.
  ...REFERENCE_SHAPES,
  [100, 1],
  [1000, 10],
  [10_000, 10],
  [10_000, 100],
];

/** Measures each of `shapes` (section 10: all; section 9: the reference row, 20 lines over 1,000 keys). */
export async function benchUsage(
  endpoint: string,
  tableName = 'keyward-bench-usage',
  shapes: readonly [number, number][] = USAGE_SHAPES,
): Promise<UsageBenchRow[]> {
  // The aggregator logs one line per batch: stdout is for the bench's tables.
  logger.setLogLevel('SILENT');
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(client, tableName);
  const db = documentClient({ ...LOCAL_AWS, endpoint });
  // The same handler with a store that writes nothing: what the function does besides waiting for DynamoDB.
  const cpuOnly = createUsageAggregator({ counters: { add: async () => ({ chunks: 1, duplicates: 0, late: 0 }), list: async () => [] } });
  const rows: UsageBenchRow[] = [];
  let seq = 0;
  try {
    for (const [index, [lines, keys]] of shapes.entries()) {
      // One hour of its own per shape (in 2036: DynamoDB Local deletes items past their TTL), read 20 minutes in.
      const hour = Date.parse('2036-01-01T00:00:00.000Z') + index * 3_600_000;
      let now = hour + 20 * 60_000;
      const meter = metered(db);
      const store = new DynamoDbUsageCounters(meter.client, tableName, () => now);
      const aggregate = createUsageAggregator({ counters: store });
      const runs = lines >= 10_000 ? 5 : 15;
      const invocation: number[] = [];
      const cpu: number[] = [];
      let rawItems = 0;
      for (let run = 0; run < runs; run++) {
        const event = batch(lines, keys, seq++, hour + 60_000);
        let started = performance.now();
        await cpuOnly(event);
        cpu.push(performance.now() - started);
        started = performance.now();
        rawItems += (await aggregate(event)).chunks;
        invocation.push(performance.now() - started);
      }
      const rawWriteUnits = meter.units.write / runs;
      // The hour's rollup, once it is closed: every key of the hour, every raw item read.
      now = hour + 3_600_000 + 20 * 60_000;
      meter.units.read = 0;
      meter.units.write = 0;
      const rolled = await store.rollUp(new Date(hour).toISOString());
      const rollupWriteUnitsPerKey = meter.units.write / rolled.keys;
      const rollupReadUnitsPerRawItem = meter.units.read / rolled.tallies;

      const cpuMs = median(cpu);
      const itemsPerBatch = rawItems / runs;
      // Per batch: the aggregator's invocation (CPU scaled, one round trip per raw item) and its writes.
      const perBatch =
        lambdaCost(Math.ceil(cpuBilledMs(cpuMs) + itemsPerBatch * ASSUMED_REQUEST_MS)) +
        (rawWriteUnits * PRICES.writeUnitsPerMillion) / 1e6;
      // Per hour at 19 req/s in batches of this shape: the rollup's writes for each key of the hour, its reads, its runs.
      const keysPerHour = Math.min(keys, REFERENCE_PER_HOUR);
      const rawItemsPerHour = (REFERENCE_PER_HOUR / lines) * itemsPerBatch;
      const rollupWrites = 2 * keysPerHour;
      const rollupPerHour =
        (rollupWriteUnitsPerKey * keysPerHour * PRICES.writeUnitsPerMillion) / 1e6 +
        (rollupReadUnitsPerRawItem * rawItemsPerHour * PRICES.readUnitsPerMillion) / 1e6 +
        ROLLUP_RUNS_PER_HOUR * lambdaCost(0) +
        lambdaCost(
          Math.ceil(rollupWrites / ROLLUP_CONCURRENCY) * ASSUMED_REQUEST_MS + Math.ceil(rawItemsPerHour / 500) * ASSUMED_REQUEST_MS,
        );
      const costPerMillion = perBatch * (1e6 / lines) + rollupPerHour * (1e6 / REFERENCE_PER_HOUR);

      // Before: an hourly and a daily counter per key of the batch, in transactions of 99 with a marker each, 2 write units an item.
      const counterItems = 2 * Math.min(lines, keys);
      const transactions = Math.ceil(counterItems / COUNTERS_PER_TRANSACTION);
      const beforePerBatch =
        lambdaCost(Math.ceil(cpuBilledMs(cpuMs) + transactions * ASSUMED_TRANSACTION_MS)) +
        ((counterItems + transactions) * 2 * PRICES.writeUnitsPerMillion) / 1e6;

      rows.push({
        lines,
        keys,
        rawItems: itemsPerBatch,
        rawWriteUnits,
        invocationMs: median(invocation),
        cpuMs,
        linesPerSecond: lines / (median(invocation) / 1000),
        rollupWriteUnitsPerKey,
        rollupReadUnitsPerRawItem,
        costPerMillion,
        beforePerMillion: beforePerBatch * (1e6 / lines),
      });
    }
  } finally {
    db.destroy();
    client.destroy();
  }
  return rows;
}

/** The rows as the bench prints them (stdout tables only). */
export function usageTableRows(rows: readonly UsageBenchRow[]): string[][] {
  return [
    [
      'lines/batch',
      'keys (in the batch)',
      'raw items (WRU) a batch',
      'invocation (DynamoDB Local)',
      'lines/s per invocation',
      'CPU (decode+tally)',
      'rollup WRU a key-hour, RCU a raw item',
      '$ per M requests',
      'before: counters at once',
    ],
    ...rows.map((row) => [
      String(row.lines),
      `${row.keys} (${Math.min(row.lines, row.keys)})`,
      `${row.rawItems} (${row.rawWriteUnits})`,
      `${row.invocationMs.toFixed(1)} ms`,
      `${Math.round(row.linesPerSecond).toLocaleString('en-US')}`,
      `${row.cpuMs.toFixed(1)} ms (${Math.round(row.lines / (row.cpuMs / 1000)).toLocaleString('en-US')} lines/s)`,
      `${row.rollupWriteUnitsPerKey.toFixed(1)}, ${row.rollupReadUnitsPerRawItem.toFixed(2)}`,
      `$${row.costPerMillion.toFixed(4)}`,
      `$${row.beforePerMillion.toFixed(4)}`,
    ]),
  ];
}

export const USAGE_TITLE =
  'Usage aggregator and rollup: one invocation per CloudWatch Logs batch (median; a batch covers one hour, 5 % of its lines denied), then the hour rolled up';

export const USAGE_COST_NOTE =
  `cost: Lambda arm64 ${MEMORY_MB} MB (CPU measured here × ${FULL_VCPU_MB}/${MEMORY_MB}, + ${ASSUMED_REQUEST_MS} ms assumed per DynamoDB request in AWS) ` +
  `+ DynamoDB on-demand units as DynamoDB Local reports them ($${PRICES.writeUnitsPerMillion}/M WRU, $${PRICES.readUnitsPerMillion}/M RCU): ` +
  `the aggregator's raw tallies per batch, plus the rollup's share with this shape's batches at the reference rate ` +
  `(${Math.round(REFERENCE_PER_HOUR).toLocaleString('en-US')} requests an hour: each key of the hour's 2 counter writes, the raw items read, 4 runs an hour). ` +
  `"before": the earlier design, every batch adding to an hourly and a daily counter per key in transactions (2 WRU an item, ${ASSUMED_TRANSACTION_MS} ms each). ` +
  'The subscription adds no CloudWatch charge beyond the access log ingestion the stage already pays';

/** `tsx bench/usage.ts`: this section alone, on a DynamoDB Local of its own. */
if (require.main === module) {
  void (async () => {
    const { startDynamoDbLocal } = await import('../local/dynamodb-local');
    const { freePort } = await import('../test/support/free-port');
    const dynamo = await startDynamoDbLocal({ port: await freePort() });
    try {
      const rows = usageTableRows(await benchUsage(dynamo.endpoint));
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      console.log(`\n${USAGE_TITLE}`);
      for (const row of rows)
        console.log(
          `  ${row
            .map((cell, column) => cell.padEnd(widths[column]!))
            .join('  ')
            .trimEnd()}`,
        );
      console.log(`  ${USAGE_COST_NOTE}`);
    } finally {
      await dynamo.stop();
    }
  })();
}
