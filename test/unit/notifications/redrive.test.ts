import type { FailedBatch, FailureQueue } from '../../../lambdas/domain/ports';
import { redriveFailureQueue } from '../../../lambdas/notifications/redrive';
import type { UndeliveredLog, UndeliveredRecord } from '../../../lambdas/notifications/undelivered-log';
import type { ItemKey } from '../../../lambdas/table/layout';

const STREAM = 'arn:aws:dynamodb:eu-west-1:111122223333:table/t/stream/x';
const event = (id: string): ItemKey => ({ pk: 'ORG#acme', sk: `EVENT#${id}` });

class MemoryQueue implements FailureQueue {
  readonly deleted: string[] = [];
  readonly released: string[] = [];
  constructor(
    private readonly batches: FailedBatch[],
    private readonly unreadable: string[] = [],
  ) {}
  async receiveAll() {
    return { batches: this.batches, unreadable: this.unreadable };
  }
  async delete(handle: string) {
    this.deleted.push(handle);
  }
  async release(handle: string) {
    this.released.push(handle);
  }
}

/** Records noted per stream position, found by sequence range as DynamoDbUndeliveredLog does. */
function log(records: UndeliveredRecord[]): UndeliveredLog {
  return {
    note: async () => {},
    find: async (streamArn, first, last) =>
      records.filter(
        (r) => r.streamArn === streamArn && BigInt(r.sequenceNumber) >= BigInt(first) && BigInt(r.sequenceNumber) <= BigInt(last),
      ),
  };
}

const batch = (handle: string, start: string, end: string, batchSize: number): FailedBatch => ({
  handle,
  streamArn: STREAM,
  startSequenceNumber: start,
  endSequenceNumber: end,
  batchSize,
});

describe('redrive of the failure queue', () => {
  const noted = [
    { streamArn: STREAM, sequenceNumber: '100', event: event('e1') },
    { streamArn: STREAM, sequenceNumber: '101', event: event('e2') },
    { streamArn: STREAM, sequenceNumber: '300', event: event('e3') },
  ];

  it("re-delivers each noted event of a message's range, then deletes the message", async () => {
    const queue = new MemoryQueue([batch('m1', '100', '101', 2)]);
    const delivered: ItemKey[] = [];

    const result = await redriveFailureQueue({
      queue,
      undelivered: log(noted),
      redriveEvent: async (key) => {
        delivered.push(key);
        return true;
      },
      warn: () => {},
    });

    expect(result).toEqual({ redriven: 2, failed: 0 });
    expect(delivered).toEqual([event('e1'), event('e2')]);
    expect(queue.deleted).toEqual(['m1']);
    expect(queue.released).toEqual([]);
  });

  it('keeps a message whose delivery failed, for the next redrive, and still delivers the rest', async () => {
    const queue = new MemoryQueue([batch('m1', '100', '101', 2), batch('m2', '300', '300', 1)]);

    const result = await redriveFailureQueue({
      queue,
      undelivered: log(noted),
      redriveEvent: async (key) => key.sk !== 'EVENT#e2',
      warn: () => {},
    });

    expect(result).toEqual({ redriven: 2, failed: 1 });
    expect(queue.deleted).toEqual(['m2']);
    expect(queue.released).toEqual(['m1']);
  });

  it('keeps a message with records the notifier never noted, and says so', async () => {
    const queue = new MemoryQueue([batch('m1', '300', '305', 3)]);
    const warnings: string[] = [];

    const result = await redriveFailureQueue({
      queue,
      undelivered: log(noted),
      redriveEvent: async () => true,
      warn: (message) => warnings.push(message),
    });

    expect(result).toEqual({ redriven: 1, failed: 2 });
    expect(queue.released).toEqual(['m1']);
    expect(warnings.join('\n')).toMatch(/2 record\(s\) .* never noted/);
  });

  it('leaves a message that is not a stream pointer in the queue, counted as failed', async () => {
    const queue = new MemoryQueue([], ['junk']);

    const result = await redriveFailureQueue({ queue, undelivered: log(noted), redriveEvent: async () => true, warn: () => {} });

    expect(result).toEqual({ redriven: 0, failed: 1 });
    expect(queue.released).toEqual(['junk']);
    expect(queue.deleted).toEqual([]);
  });
});
