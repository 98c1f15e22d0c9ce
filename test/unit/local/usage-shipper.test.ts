import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { batchIdOf, decodeLogsEvent } from '../../../lambdas/usage/aggregator';
import { deliveredDir, pendingDir, startUsageShipper, USAGE_DEAD_LETTER_FILE } from '../../../local/usage-shipper';

/**
 * The local stand-in for the access log's subscription (local/usage-shipper.ts): what it hands the
 * aggregator is CloudWatch Logs' payload, a batch is delivered again until it succeeds or has
 * failed three times (then dead-lettered), and a batch delivered again is the same batch.
 */

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'keyward-shipper-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const line = (n: number) => ({
  organization_id: 'acme',
  api_key_id: `k${n}`,
  principal_id: `k${n}`,
  status: '200',
  request_time_epoch: String(1_765_000_000_000 + n),
});

describe('the usage shipper', () => {
  it('ships new lines as CloudWatch Logs batches with stable event ids, once each', async () => {
    const received: CloudWatchLogsEvent[] = [];
    const shipper = startUsageShipper({ stateDir, handler: async (event) => void received.push(event), log: () => {}, intervalMs: 60_000 });
    try {
      shipper.append(line(1));
      shipper.append(line(2));
      await shipper.flush();
      shipper.append(line(3));
      await shipper.flush();
      await shipper.flush();
      const batches = received.map(decodeLogsEvent);
      expect(batches.map((batch) => batch.logEvents.map((event) => JSON.parse(event.message).api_key_id))).toEqual([['k1', 'k2'], ['k3']]);
      expect(batches[0]).toMatchObject({ messageType: 'DATA_MESSAGE', logGroup: expect.any(String), logStream: expect.any(String) });
      expect(batches[0]!.logEvents[0]).toMatchObject({ timestamp: 1_765_000_000_001 });
      expect(new Set(batches.flatMap((batch) => batch.logEvents.map((event) => event.id))).size).toBe(3);

      // A delivered batch put back in the spool is delivered again, with the same id.
      const [first] = readdirSync(deliveredDir(stateDir)).sort();
      copyFileSync(join(deliveredDir(stateDir), first!), join(pendingDir(stateDir), first!));
      await shipper.flush();
      expect(received).toHaveLength(3);
      expect(batchIdOf(decodeLogsEvent(received[2]!))).toBe(batchIdOf(batches[0]!));
    } finally {
      await shipper.stop();
    }
  });

  it('delivers a failed batch again, keeps the order, and dead-letters it after three failures', async () => {
    let failures = 0;
    const delivered: string[][] = [];
    const handler = async (event: CloudWatchLogsEvent) => {
      const keys = decodeLogsEvent(event).logEvents.map((e) => JSON.parse(e.message).api_key_id as string);
      if (keys.includes('k1') && failures < 1) {
        failures += 1;
        throw new Error('throttled');
      }
      if (keys.includes('k9')) throw new Error('broken for good');
      delivered.push(keys);
    };
    const logged: string[] = [];
    const shipper = startUsageShipper({ stateDir, handler, log: (text) => logged.push(text), intervalMs: 60_000 });
    try {
      shipper.append(line(1));
      await shipper.flush();
      expect(delivered).toEqual([]);
      await shipper.flush();
      expect(delivered).toEqual([['k1']]);

      shipper.append(line(9));
      for (let attempt = 0; attempt < 3; attempt++) await shipper.flush();
      const deadLetters = readFileSync(join(stateDir, USAGE_DEAD_LETTER_FILE), 'utf8')
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text));
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]).toMatchObject({ error: 'broken for good', event: { awslogs: { data: expect.any(String) } } });
      expect(readdirSync(pendingDir(stateDir))).toEqual([]);
      expect(logged.some((text) => text.includes('dead-lettered'))).toBe(true);

      // The shipper goes on with what comes next.
      shipper.append(line(2));
      await shipper.flush();
      expect(delivered).toEqual([['k1'], ['k2']]);
    } finally {
      await shipper.stop();
    }
  });

  it('picks up after a restart where its checkpoint says, delivering what was spooled but not delivered', async () => {
    const first = startUsageShipper({
      stateDir,
      handler: () => Promise.reject(new Error('down')),
      log: () => {},
      intervalMs: 60_000,
      maxAttempts: 10,
    });
    first.append(line(1));
    await first.flush();
    await first.stop();
    const received: CloudWatchLogsEvent[] = [];
    const second = startUsageShipper({ stateDir, handler: async (event) => void received.push(event), log: () => {}, intervalMs: 60_000 });
    try {
      second.append(line(2));
      await second.flush();
      expect(received.map((event) => decodeLogsEvent(event).logEvents.map((e) => JSON.parse(e.message).api_key_id))).toEqual([
        ['k1'],
        ['k2'],
      ]);
    } finally {
      await second.stop();
    }
  });
});
