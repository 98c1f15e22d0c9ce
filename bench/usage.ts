import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { DynamoDbUsageCounters } from '../lambdas/adapters/dynamodb/usage-counters';
import { logger } from '../lambdas/observability/logger';
import { documentClient } from '../lambdas/runtime/clients';
import { createUsageAggregator, encodeLogsEvent } from '../lambdas/usage/aggregator';
import { LOCAL_AWS } from '../local/dynamodb-local';
import { ensureTable } from '../local/table';
import { PRICES } from './cost';

/**
 * The usage aggregator (API.md §9): how many access log lines one invocation counts per second,
 * and what counting a million requests costs. Measured on DynamoDB Local with batches shaped as
 * CloudWatch Logs delivers them (gzip + base64, up to 10,000 events), through the real handler.
 * The CPU part (decode, parse, tally) is measured apart from the writes, because DynamoDB Local's
 * transaction latency is no measure of DynamoDB's.
 */

/** On-demand DynamoDB, us-east-1: one write request unit (an item ≤ 1 KB); a transactional write costs 2. */
const WRITE_UNITS_PER_MILLION = 0.625;
/** The aggregator's memory (KeywardFunction's default) and the CPU Lambda gives it (1,769 MB = one vCPU). */
const MEMORY_MB = 512;
const FULL_VCPU_MB = 1769;
/** The assumed round trip of one TransactWriteItems in the region (DynamoDB's are ~10-20 ms for 100 items). */
const ASSUMED_TRANSACTION_MS = 15;
const COUNTERS_PER_TRANSACTION = 99;

/** Batches at the reference workload: [lines, keys]. */
export const REFERENCE_SHAPES: readonly [number, number][] = [
  [20, 1000],
  [200, 1000],
];

export interface UsageBenchRow {
  lines: number;
  keys: number;
  counters: number;
  transactions: number;
  /** The whole invocation on DynamoDB Local, median of the runs. */
  invocationMs: number;
  /** Decode, parse and tally only, median. */
  cpuMs: number;
  linesPerSecond: number;
  /** Lambda requests + duration + DynamoDB writes, per million counted requests. */
  costPerMillion: number;
}

function batch(lines: number, keys: number, seq: number): CloudWatchLogsEvent {
  const now = Date.now();
  return encodeLogsEvent({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: 'keyward-bench-example-access-logs',
    logStream: `bench-${seq}`,
    subscriptionFilters: ['usage'],
    logEvents: Array.from({ length: lines }, (_, index) => {
      // Spread over the keys as traffic from many keys is: consecutive batches carry different keys.
      const key = `key${String((seq * lines + index) % keys).padStart(4, '0')}`;
      const denied = index % 20 === 0;
      return {
        id: `${seq}-${index}`,
        timestamp: now,
        message: JSON.stringify({
          request_id: `r${seq}-${index}`,
          request_time_epoch: String(now),
          status: denied ? '403' : '200',
          method: 'GET',
          resource: '/v1/customers',
          organization_id: 'bench',
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

export async function benchUsage(endpoint: string, tableName = 'keyward-bench-usage'): Promise<UsageBenchRow[]> {
  // The aggregator logs one line per batch: stdout is for the bench's tables.
  logger.setLogLevel('SILENT');
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  await ensureTable(client, tableName);
  const counters = new DynamoDbUsageCounters(documentClient({ ...LOCAL_AWS, endpoint }), tableName);
  const aggregate = createUsageAggregator({ counters });
  // The same handler with a store that writes nothing: what the function does besides waiting for DynamoDB.
  const cpuOnly = createUsageAggregator({ counters: { add: async () => ({ chunks: 1, duplicates: 0, late: 0 }), list: async () => [] } });
  const shapes: [number, number][] = [
    // The reference workload (50M requests a month over 1,000 keys, ~19 req/s): CloudWatch Logs
    // delivers what the source put, so batches of tens of lines, nearly every line another key.
    ...REFERENCE_SHAPES,
    [100, 1],
    [1000, 10],
    [10_000, 10],
    [10_000, 100],
  ];
  const rows: UsageBenchRow[] = [];
  let seq = 0;
  try {
    for (const [lines, keys] of shapes) {
      const runs = lines >= 10_000 ? 5 : 15;
      const invocation: number[] = [];
      const cpu: number[] = [];
      for (let run = 0; run < runs; run++) {
        const event = batch(lines, keys, seq++);
        let started = performance.now();
        await cpuOnly(event);
        cpu.push(performance.now() - started);
        started = performance.now();
        await aggregate(event);
        invocation.push(performance.now() - started);
      }
      // Hourly and daily counters per key in the batch (a batch covers one hour here), and one marker per transaction.
      const counterItems = 2 * Math.min(lines, keys);
      const transactions = Math.ceil(counterItems / COUNTERS_PER_TRANSACTION);
      const cpuMs = median(cpu);
      const billedMs = Math.ceil((cpuMs * FULL_VCPU_MB) / MEMORY_MB + transactions * ASSUMED_TRANSACTION_MS);
      const perInvocation =
        PRICES.lambdaRequestsPerMillion / 1e6 +
        (billedMs / 1000) * (MEMORY_MB / 1024) * PRICES.lambdaGbSecond +
        ((counterItems + transactions) * 2 * WRITE_UNITS_PER_MILLION) / 1e6;
      rows.push({
        lines,
        keys,
        counters: counterItems,
        transactions,
        invocationMs: median(invocation),
        cpuMs,
        linesPerSecond: lines / (median(invocation) / 1000),
        costPerMillion: perInvocation * (1e6 / lines),
      });
    }
  } finally {
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
      'counters + markers',
      'invocation (DynamoDB Local)',
      'lines/s per invocation',
      'CPU (decode+tally)',
      '$ per M requests',
    ],
    ...rows.map((row) => [
      String(row.lines),
      `${row.keys} (${Math.min(row.lines, row.keys)})`,
      `${row.counters} + ${row.transactions}`,
      `${row.invocationMs.toFixed(1)} ms`,
      `${Math.round(row.linesPerSecond).toLocaleString('en-US')}`,
      `${row.cpuMs.toFixed(1)} ms (${Math.round(row.lines / (row.cpuMs / 1000)).toLocaleString('en-US')} lines/s)`,
      `$${row.costPerMillion.toFixed(4)}`,
    ]),
  ];
}

export const USAGE_COST_NOTE =
  `cost: Lambda arm64 ${MEMORY_MB} MB (CPU measured here × ${FULL_VCPU_MB}/${MEMORY_MB}, + ${ASSUMED_TRANSACTION_MS} ms assumed per transaction in AWS) ` +
  `+ DynamoDB on-demand transactional writes (2 WRU per item at $${WRITE_UNITS_PER_MILLION}/M); the subscription adds no CloudWatch charge ` +
  'beyond the access log ingestion the stage already pays';

/** `tsx bench/usage.ts`: this section alone, on a DynamoDB Local of its own. */
if (require.main === module) {
  void (async () => {
    const { startDynamoDbLocal } = await import('../local/dynamodb-local');
    const { freePort } = await import('../test/support/free-port');
    const dynamo = await startDynamoDbLocal({ port: await freePort() });
    try {
      const rows = usageTableRows(await benchUsage(dynamo.endpoint));
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      console.log(
        '\nUsage aggregator: one invocation per CloudWatch Logs batch (median; a batch covers one hour, 5 % of its lines denied)',
      );
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
