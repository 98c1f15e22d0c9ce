import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { FailedBatch, FailureQueue } from '../domain/ports';

/** How long a received message stays hidden while one redrive works through the queue. */
const VISIBILITY_TIMEOUT_S = 300;

/**
 * An SQS queue of work given up on (a failure destination, a dead-letter queue), read to its end
 * once per redrive: each message's body is parsed into what it holds, or reported unreadable.
 */
export class SqsRedriveQueue<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    /** What a message's body (JSON) holds; undefined when it is not what this queue should hold. */
    private readonly parse: (body: unknown) => T | undefined,
  ) {}

  async receiveAll(): Promise<{ messages: { handle: string; value: T }[]; unreadable: string[] }> {
    const messages: { handle: string; value: T }[] = [];
    const unreadable: string[] = [];
    for (;;) {
      const { Messages: received = [] } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: VISIBILITY_TIMEOUT_S,
          WaitTimeSeconds: 1,
        }),
      );
      if (received.length === 0) return { messages, unreadable };
      for (const message of received) {
        const handle = message.ReceiptHandle!;
        const value = this.parse(safeJson(message.Body));
        if (value === undefined) unreadable.push(handle);
        else messages.push({ handle, value });
      }
    }
  }

  async delete(handle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }));
  }

  async release(handle: string): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }));
  }
}

/** The on-failure record of a DynamoDB stream event-source mapping (only the part redrive reads). */
const onFailureRecordSchema = z.object({
  DDBStreamBatchInfo: z.object({
    streamArn: z.string().min(1),
    startSequenceNumber: z.string().regex(/^\d+$/),
    endSequenceNumber: z.string().regex(/^\d+$/),
    batchSize: z.number().int().nonnegative(),
  }),
});

/** The notifier's failure queue (SQS): each message points at a stream batch. */
export class SqsFailureQueue implements FailureQueue {
  private readonly queue: SqsRedriveQueue<z.infer<typeof onFailureRecordSchema>['DDBStreamBatchInfo']>;

  constructor(client: SQSClient, queueUrl: string) {
    this.queue = new SqsRedriveQueue(client, queueUrl, (body) => onFailureRecordSchema.safeParse(body).data?.DDBStreamBatchInfo);
  }

  async receiveAll(): Promise<{ batches: FailedBatch[]; unreadable: string[] }> {
    const { messages, unreadable } = await this.queue.receiveAll();
    return { batches: messages.map(({ handle, value }) => ({ handle, ...value })), unreadable };
  }

  delete(handle: string): Promise<void> {
    return this.queue.delete(handle);
  }

  release(handle: string): Promise<void> {
    return this.queue.release(handle);
  }
}

function safeJson(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
}
