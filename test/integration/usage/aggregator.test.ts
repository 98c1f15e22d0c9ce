import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import { DynamoDbUsageCounters } from '../../../lambdas/adapters/dynamodb/usage-counters';
import { ValidationFailed } from '../../../lambdas/domain/errors';
import type { KeyStore } from '../../../lambdas/domain/ports';
import { type AccessLogLine, renderAccessLine } from '../../../lambdas/observability/access-log-fields';
import { documentClient } from '../../../lambdas/runtime/clients';
import { UsageService } from '../../../lambdas/service/usage-service';
import { createUsageAggregator, encodeLogsEvent } from '../../../lambdas/usage/aggregator';
import { createTestTable } from '../../support/dynamodb';

/**
 * The usage aggregator on the real engine (API.md §9): a CloudWatch Logs subscription batch of
 * access lines becomes hourly and daily counters per key, and the same batch delivered again
 * (Lambda's retries, concurrently or later) adds nothing.
 */

const HOUR = 3_600_000;
const T0 = Date.parse('2036-12-07T10:15:00.000Z');

let table: Awaited<ReturnType<typeof createTestTable>>;
let counters: DynamoDbUsageCounters;
let aggregate: ReturnType<typeof createUsageAggregator>;
let batches = 0;
/** The store's clock: the batches arrive at 11:05, before T0's hour (10:00) is late; the rollup tests are in rollup.test.ts. */
const NOW = T0 + 50 * 60_000;

beforeAll(async () => {
  table = await createTestTable();
  counters = new DynamoDbUsageCounters(documentClient(table.clientConfig), table.tableName, () => NOW);
  aggregate = createUsageAggregator({ counters });
});
afterAll(() => table.drop());

// Full-format lines (the lean fields and the request's time); the lean format is the same without the time.
const allowed = (org: string, key: string, at: number): AccessLogLine => ({
  o: org,
  k: key,
  api_key_id: key,
  d: '-',
  s: '200',
  request_time_epoch: String(at),
});
const denied = (org: string, key: string, at: number, code: string): AccessLogLine => ({
  o: org,
  k: key,
  api_key_id: '-',
  d: code,
  s: '403',
  request_time_epoch: String(at),
});
const throttled = (org: string, key: string, at: number): AccessLogLine => ({ ...allowed(org, key, at), s: '429' });
const unauthorized = (at: number): AccessLogLine => ({
  o: '-',
  k: '-',
  api_key_id: '-',
  s: '401',
  request_time_epoch: String(at),
});

/** A batch as CloudWatch Logs delivers it, with unique event ids. */
function batch(lines: (AccessLogLine | Record<string, string> | string)[]): CloudWatchLogsDecodedData {
  batches += 1;
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: 'keyward-test-example-access-logs',
    logStream: `stream-${batches}`,
    subscriptionFilters: ['usage'],
    logEvents: lines.map((line, index) => ({
      id: `${batches}${String(index).padStart(10, '0')}`,
      timestamp: T0,
      message: typeof line === 'string' ? line : JSON.stringify(line),
    })),
  };
}

const range = (org: string, granularity: 'hour' | 'day', apiKeyId?: string) =>
  counters.list(org, {
    from: new Date(Date.parse('2036-12-01T00:00:00.000Z')),
    to: new Date(Date.parse('2036-12-31T00:00:00.000Z')),
    granularity,
    apiKeyId,
  });

describe('usage aggregator', () => {
  it('counts each key request once per hour and per day: allowed, denied by code, throttled; skips what is no key’s', async () => {
    const data = batch([
      allowed('acme', 'k1', T0),
      allowed('acme', 'k1', T0 + 1000),
      allowed('acme', 'k1', T0 + HOUR),
      denied('acme', 'k1', T0, 'write_action_not_allowed_for_customer'),
      denied('acme', 'k2', T0, 'ip_not_allowed'),
      throttled('acme', 'k2', T0 + 2000),
      unauthorized(T0),
      'not json at all',
      allowed('other', 'k9', T0),
    ]);
    const summary = await aggregate(encodeLogsEvent(data));
    expect(summary).toMatchObject({ lines: 9, counted: 7, skipped: 2, duplicate: false });

    expect(await range('acme', 'hour')).toEqual([
      {
        start: '2036-12-07T10:00:00.000Z',
        api_key_id: 'k1',
        allowed: 2,
        denied: { write_action_not_allowed_for_customer: 1 },
        throttled: 0,
      },
      { start: '2036-12-07T10:00:00.000Z', api_key_id: 'k2', allowed: 0, denied: { ip_not_allowed: 1 }, throttled: 1 },
      { start: '2036-12-07T11:00:00.000Z', api_key_id: 'k1', allowed: 1, denied: {}, throttled: 0 },
    ]);
    expect(await range('acme', 'day')).toEqual([
      {
        start: '2036-12-07T00:00:00.000Z',
        api_key_id: 'k1',
        allowed: 3,
        denied: { write_action_not_allowed_for_customer: 1 },
        throttled: 0,
      },
      { start: '2036-12-07T00:00:00.000Z', api_key_id: 'k2', allowed: 0, denied: { ip_not_allowed: 1 }, throttled: 1 },
    ]);
    expect(await range('other', 'day')).toEqual([
      { start: '2036-12-07T00:00:00.000Z', api_key_id: 'k9', allowed: 1, denied: {}, throttled: 0 },
    ]);
  });

  it('adds nothing for a redelivered batch, later or concurrently', async () => {
    const event = encodeLogsEvent(
      batch([allowed('redo', 'k1', T0), allowed('redo', 'k1', T0), denied('redo', 'k1', T0, 'route_not_allowed')]),
    );
    const [first, second] = await Promise.all([aggregate(event), aggregate(event)]);
    expect([first.duplicate, second.duplicate].sort()).toEqual([false, true]);
    const again = await aggregate(event);
    expect(again).toMatchObject({ duplicate: true, counted: 0 });
    expect(await range('redo', 'hour')).toEqual([
      { start: '2036-12-07T10:00:00.000Z', api_key_id: 'k1', allowed: 2, denied: { route_not_allowed: 1 }, throttled: 0 },
    ]);
    // Another batch with the same lines but other events is other traffic: it counts.
    await aggregate(encodeLogsEvent(batch([allowed('redo', 'k1', T0)])));
    expect((await range('redo', 'hour'))[0]!.allowed).toBe(3);
  });

  it('counts a batch larger than one transaction exactly once, in chunks', async () => {
    // 60 keys over 2 hours: 120 hourly and 60 daily counters, two transactions.
    const lines = Array.from({ length: 60 }, (_, key) => [allowed('big', `k${key}`, T0), allowed('big', `k${key}`, T0 + HOUR)]).flat();
    const event = encodeLogsEvent(batch(lines));
    expect(await aggregate(event)).toMatchObject({ counted: 120, counters: 180, duplicate: false });
    expect(await aggregate(event)).toMatchObject({ counted: 0, duplicate: true });
    const days = await range('big', 'day');
    expect(days).toHaveLength(60);
    expect(days.every((day) => day.allowed === 2)).toBe(true);
    expect(await range('big', 'hour', 'k7')).toEqual([
      { start: '2036-12-07T10:00:00.000Z', api_key_id: 'k7', allowed: 1, denied: {}, throttled: 0 },
      { start: '2036-12-07T11:00:00.000Z', api_key_id: 'k7', allowed: 1, denied: {}, throttled: 0 },
    ]);
  });

  it('counts lean lines (timed by their log event), full lines, and lines written before the lean format or with the API id first alike', async () => {
    const values = (org: string, key: string, status: string, code?: string) => ({
      '$context.apiId': 'a1b2c3d4e5',
      '$context.authorizer.organization_id': org,
      '$context.authorizer.principalId': key,
      '$context.authorizer.api_key_id': code ? undefined : key,
      '$context.authorizer.code': code,
      '$context.status': status,
      '$context.requestTimeEpoch': String(T0),
    });
    const lines = (org: string) => [
      values(org, 'k1', '200'),
      values(org, 'k1', '429'),
      values(org, 'k2', '403', 'route_not_allowed'),
      values('-', '-', '401'),
    ];
    const legacy = (org: string) => [
      { organization_id: org, api_key_id: 'k1', principal_id: 'k1', deny_code: '-', status: '200', request_time_epoch: String(T0) },
      { organization_id: org, api_key_id: 'k1', principal_id: 'k1', deny_code: '-', status: '429', request_time_epoch: String(T0) },
      {
        organization_id: org,
        api_key_id: '-',
        principal_id: 'k2',
        deny_code: 'route_not_allowed',
        status: '403',
        request_time_epoch: String(T0),
      },
      { organization_id: '-', api_key_id: '-', principal_id: '-', deny_code: '-', status: '401', request_time_epoch: String(T0) },
    ];
    const expected = [
      { start: '2036-12-07T10:00:00.000Z', api_key_id: 'k1', allowed: 1, denied: {}, throttled: 1 },
      { start: '2036-12-07T10:00:00.000Z', api_key_id: 'k2', allowed: 0, denied: { route_not_allowed: 1 }, throttled: 0 },
    ];
    expect(await aggregate(encodeLogsEvent(batch(lines('lean').map((line) => renderAccessLine('lean', line)))))).toMatchObject({
      counted: 3,
      skipped: 1,
    });
    expect(await aggregate(encodeLogsEvent(batch(lines('full').map((line) => renderAccessLine('full', line)))))).toMatchObject({
      counted: 3,
      skipped: 1,
    });
    expect(await aggregate(encodeLogsEvent(batch(legacy('legacy'))))).toMatchObject({ counted: 3, skipped: 1 });
    // Seven values, the API id first: the lean lines written before the API id left the format.
    const withApiId = lines('lean-api-id').map((line) => `a1b2c3d4e5 ${renderAccessLine('lean', line)}`);
    expect(await aggregate(encodeLogsEvent(batch(withApiId)))).toMatchObject({ counted: 3, skipped: 1 });
    for (const org of ['lean', 'full', 'legacy', 'lean-api-id']) expect(await range(org, 'hour')).toEqual(expected);
  });

  it('ignores the control message CloudWatch Logs sends when the subscription is created', async () => {
    const summary = await aggregate(encodeLogsEvent({ ...batch([]), messageType: 'CONTROL_MESSAGE' }));
    expect(summary).toMatchObject({ batchId: null, lines: 0, counted: 0 });
  });
});

describe('usage service ranges', () => {
  const service = () =>
    new UsageService({ listUsage: (org, query) => counters.list(org, query) } as Pick<KeyStore, 'listUsage'> as KeyStore, {
      now: () => new Date(T0 + 2 * HOUR),
    });

  it('answers [from, to) with from rounded down to its bucket', async () => {
    const usage = await service().list('acme', { from: '2036-12-07T10:59:00Z', to: '2036-12-07T11:00:00Z', granularity: 'hour' });
    expect(usage.map((bucket) => [bucket.start, bucket.api_key_id])).toEqual([
      ['2036-12-07T10:00:00.000Z', 'k1'],
      ['2036-12-07T10:00:00.000Z', 'k2'],
    ]);
    expect(await service().list('acme', { granularity: 'hour', api_key_id: 'k2' })).toHaveLength(1);
  });

  it('refuses a range over 31 days of hours or 400 days of days, or an empty one, naming the field', async () => {
    await expect(service().list('acme', { from: '2036-11-01T00:00:00Z', to: '2036-12-07T00:00:00Z', granularity: 'hour' })).rejects.toEqual(
      new ValidationFailed({ from: ['the range may span at most 31 days with granularity hour'] }),
    );
    await expect(
      service().list('acme', { from: '2036-11-01T00:00:00Z', to: '2036-12-07T00:00:00Z', granularity: 'day' }),
    ).resolves.toBeDefined();
    await expect(
      service().list('acme', { from: '2025-01-01T00:00:00Z', to: '2036-12-07T00:00:00Z', granularity: 'day' }),
    ).rejects.toBeInstanceOf(ValidationFailed);
    await expect(service().list('acme', { from: '2036-12-07T00:00:00Z', to: '2036-12-07T00:00:00Z', granularity: 'day' })).rejects.toEqual(
      new ValidationFailed({ to: ['must be after from'] }),
    );
  });
});
