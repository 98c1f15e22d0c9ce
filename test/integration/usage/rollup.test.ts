import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { DynamoDbUsageCounters } from '../../../lambdas/adapters/dynamodb/usage-counters';
import type { UsageBucket } from '../../../lambdas/domain/usage';
import type { AccessLogLine } from '../../../lambdas/observability/access-log-fields';
import { documentClient } from '../../../lambdas/runtime/clients';
import { createUsageAggregator, encodeLogsEvent } from '../../../lambdas/usage/aggregator';
import { createUsageRollup } from '../../../lambdas/usage/rollup';
import { createTestTable } from '../../support/dynamodb';

/**
 * Raw tallies and the rollup on the real engine (API.md §9, domain/usage-rollup.ts): whatever the
 * moment of a read (before, during, after a rollup, or after two), every request is counted once,
 * and so is a late batch and a batch redelivered across the cut-off. Times are in 2036: DynamoDB
 * Local deletes items whose TTL has passed, and raw tallies live 3 days.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const H10 = Date.parse('2036-03-10T10:00:00.000Z');
const HOUR_10 = '2036-03-10T10:00:00.000Z';
const HOUR_11 = '2036-03-10T11:00:00.000Z';
const DAY = '2036-03-10T00:00:00.000Z';

let table: Awaited<ReturnType<typeof createTestTable>>;
let db: DynamoDBDocumentClient;
let now: number;
let store: DynamoDbUsageCounters;
let batches = 0;

beforeEach(async () => {
  table = await createTestTable();
  db = documentClient(table.clientConfig);
  now = H10;
  store = new DynamoDbUsageCounters(db, table.tableName, () => now);
});
afterEach(() => table.drop());

const aggregate = (data: CloudWatchLogsDecodedData) => createUsageAggregator({ counters: store })(encodeLogsEvent(data));
const rollup = (on = store) => createUsageRollup({ store: on, now: () => now })();

const line = (key: string, at: number, fields: Partial<AccessLogLine> = {}): AccessLogLine => ({
  o: 'acme',
  k: key,
  api_key_id: key,
  d: '-',
  s: '200',
  request_time_epoch: String(at),
  ...fields,
});
const denied = (key: string, at: number) => line(key, at, { api_key_id: '-', d: 'ip_not_allowed', s: '403' });

function batch(lines: AccessLogLine[]): CloudWatchLogsDecodedData {
  batches += 1;
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: 'keyward-test-example-access-logs',
    logStream: `rollup-${batches}`,
    subscriptionFilters: ['usage'],
    logEvents: lines.map((entry, index) => ({ id: `${batches}-${index}`, timestamp: now, message: JSON.stringify(entry) })),
  };
}

const read = (granularity: 'hour' | 'day', apiKeyId?: string) =>
  store.list('acme', { from: new Date(H10 - 10 * HOUR), to: new Date(H10 + 14 * HOUR), granularity, apiKeyId });

const bucket = (start: string, key: string, allowed: number, denials = 0): UsageBucket => ({
  start,
  api_key_id: key,
  allowed,
  denied: denials > 0 ? { ip_not_allowed: denials } : {},
  throttled: 0,
});

/** Each key's day summed from its hours. */
function daysFromHours(hours: UsageBucket[]): UsageBucket[] {
  const days = new Map<string, UsageBucket>();
  for (const hour of hours) {
    const day = days.get(hour.api_key_id) ?? { ...bucket(DAY, hour.api_key_id, 0), denied: {} };
    day.allowed += hour.allowed;
    day.throttled += hour.throttled;
    for (const [code, count] of Object.entries(hour.denied)) day.denied[code] = (day.denied[code] ?? 0) + count;
    days.set(hour.api_key_id, day);
  }
  return [...days.values()].sort((a, b) => (a.api_key_id < b.api_key_id ? -1 : 1));
}

describe('usage rollup', () => {
  it('counts every request once, read before, during and after the rollup and after it ran twice; a day is the sum of its hours', async () => {
    now = H10 + 20 * MINUTE;
    await aggregate(
      batch([line('k1', H10 + MINUTE), line('k1', H10 + 2 * MINUTE), line('k2', H10 + 3 * MINUTE), denied('k2', H10 + 4 * MINUTE)]),
    );
    now = H10 + 50 * MINUTE;
    await aggregate(batch([line('k1', H10 + 40 * MINUTE), line('k3', H10 + 45 * MINUTE)]));
    now = H10 + HOUR + 5 * MINUTE;
    await aggregate(batch([line('k1', H10 + 30 * MINUTE), line('k1', H10 + HOUR + MINUTE)]));
    const hours = [bucket(HOUR_10, 'k1', 4), bucket(HOUR_10, 'k2', 1, 1), bucket(HOUR_10, 'k3', 1), bucket(HOUR_11, 'k1', 1)];
    const expectations = async () => {
      expect(await read('hour')).toEqual(hours);
      expect(await read('day')).toEqual(daysFromHours(hours));
      expect(await read('hour', 'k2')).toEqual([bucket(HOUR_10, 'k2', 1, 1)]);
    };
    await expectations();

    // Not yet: hour 10 is closed at 11:00 and read from 11:15.
    now = H10 + HOUR + 14 * MINUTE;
    expect((await rollup()).rolled).not.toContain(HOUR_10);

    // A rollup that fails after its first counter write: some keys hold the hour, the marker is not written.
    now = H10 + HOUR + 16 * MINUTE;
    let updates = 0;
    const failing = new DynamoDbUsageCounters(
      {
        send: (command: unknown) =>
          command instanceof UpdateCommand && ++updates > 1 ? Promise.reject(new Error('throttled')) : db.send(command as never),
      } as DynamoDBDocumentClient,
      table.tableName,
      () => now,
    );
    await expect(failing.rollUp(HOUR_10)).rejects.toThrow('throttled');
    await expectations();
    // A rollup that wrote every counter but not the marker yet.
    await store.rollUp(HOUR_10);
    await expectations();

    const run = await rollup();
    expect(run.rolled).toContain(HOUR_10);
    expect(run.rolled).not.toContain(HOUR_11);
    await expectations();
    // Run again: nothing left to roll, and rolling the hour again adds nothing.
    expect((await rollup()).rolled).toEqual([]);
    expect(await store.rollUp(HOUR_10)).toMatchObject({ keys: 3, added: 0, alreadyRolled: 6 });
    await expectations();

    now = H10 + 2 * HOUR + 16 * MINUTE;
    expect((await rollup()).rolled).toEqual([HOUR_11]);
    await expectations();
  });

  it('counts two rollups running at once once', async () => {
    now = H10 + 20 * MINUTE;
    await aggregate(batch(Array.from({ length: 60 }, (_, index) => line(`k${index}`, H10 + MINUTE))));
    now = H10 + HOUR + 20 * MINUTE;
    const runs = await Promise.all([rollup(), rollup()]);
    expect(runs.flatMap((run) => run.rolled)).toContain(HOUR_10);
    const hours = await read('hour');
    expect(hours).toHaveLength(60);
    expect(hours.every((hour) => hour.allowed === 1)).toBe(true);
    expect((await read('day')).every((day) => day.allowed === 1)).toBe(true);
  });

  it('adds a late batch to the counters at once, once, and the rollup leaves it there', async () => {
    now = H10 + 20 * MINUTE;
    await aggregate(batch([line('k1', H10 + MINUTE)]));
    // 11:10 is the cut-off for hour 10: a batch after it goes to the counters directly.
    now = H10 + HOUR + 10 * MINUTE;
    const late = batch([line('k1', H10 + 59 * MINUTE), line('k2', H10 + 59 * MINUTE)]);
    expect(await aggregate(late)).toMatchObject({ counted: 2, late: 1, duplicate: false });
    expect(await aggregate(late)).toMatchObject({ counted: 0, duplicate: true });
    const hours = [bucket(HOUR_10, 'k1', 2), bucket(HOUR_10, 'k2', 1)];
    expect(await read('hour')).toEqual(hours);
    expect(await read('day')).toEqual(daysFromHours(hours));
    now = H10 + HOUR + 20 * MINUTE;
    expect((await rollup()).rolled).toContain(HOUR_10);
    expect(await read('hour')).toEqual(hours);
    expect(await read('day')).toEqual(daysFromHours(hours));
    // A late batch after the rollup too.
    now = H10 + 3 * HOUR;
    await aggregate(batch([denied('k2', H10 + 30 * MINUTE)]));
    const after = [bucket(HOUR_10, 'k1', 2), bucket(HOUR_10, 'k2', 1, 1)];
    expect(await read('hour')).toEqual(after);
    expect(await read('day')).toEqual(daysFromHours(after));
  });

  it('counts a batch redelivered after its hour turned late once', async () => {
    now = H10 + 50 * MINUTE;
    const data = batch([line('k1', H10 + 49 * MINUTE), line('k1', H10 + HOUR + MINUTE)]);
    expect(await aggregate(data)).toMatchObject({ counted: 2, late: 0 });
    now = H10 + 3 * HOUR;
    expect(await aggregate(data)).toMatchObject({ counted: 0, duplicate: true });
    expect(await read('hour')).toEqual([bucket(HOUR_10, 'k1', 1), bucket(HOUR_11, 'k1', 1)]);
    await rollup();
    expect(await read('hour')).toEqual([bucket(HOUR_10, 'k1', 1), bucket(HOUR_11, 'k1', 1)]);
    expect(await read('day')).toEqual([bucket(DAY, 'k1', 2)]);
  });

  it('rolls every hour left, oldest first, and leaves the rest to the next run when its time budget is spent', async () => {
    for (const hour of [0, 1, 2]) {
      now = H10 + hour * HOUR + 20 * MINUTE;
      await aggregate(batch([line('k1', H10 + hour * HOUR + MINUTE)]));
    }
    now = H10 + 3 * HOUR + 20 * MINUTE;
    const spent = await createUsageRollup({ store, now: () => now, budgetMs: -1 })();
    expect(spent).toEqual({ rolled: [], left: 72 });
    const run = await rollup();
    expect(run.left).toBe(0);
    expect(run.rolled.slice(-3)).toEqual([HOUR_10, HOUR_11, '2036-03-10T12:00:00.000Z']);
    expect(await read('day')).toEqual([bucket(DAY, 'k1', 3)]);
  });
});
