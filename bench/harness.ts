/**
 * The bench's harness (run.ts and its sections): which sections run, interleaved timing, counting
 * store calls, seeding a large table, and printing a table.
 */
import { performance } from 'node:perf_hooks';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HotKeyStore } from '../lambdas/domain/ports';
import { hashToken } from '../lambdas/domain/token';
import { formatTable } from './format';

/** The bench's table, 10 keys: its first key is the one measured. */
export const TABLE = 'keyward-bench';

/** The sections asked for on the command line (`--section 9`, `--section=1,9`); empty = all. */
export function sectionsAsked(argv: readonly string[]): Set<number> {
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
/** Counts reads and writes that reach the store. */
export function counting(store: HotKeyStore) {
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
export async function interleaved<K extends string>(
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

export function printTable(title: string, rows: string[][]): void {
  console.log(formatTable(title, rows));
}

/**
 * `count` hot items of keys nobody holds, in BatchWriteItem requests of 25 (its maximum), a few at
 * a time: the table-size case needs the items the authorizer reads, not the management service's
 * per-key transactions.
 */
export async function seedHotItems(db: DynamoDBDocumentClient, tableName: string, count: number): Promise<number> {
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
