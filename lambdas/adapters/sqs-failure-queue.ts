import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { FailedBatch, FailureQueue } from '../domain/ports';

/** How long a received message stays hidden while one redrive works through the queue. */
const VISIBILITY_TIMEOUT_S = 300;

/** The on-failure record of a DynamoDB stream event-source mapping (only the part redrive reads). */
const onFailureRecordSchema = z.object({
  DDBStreamBatchInfo: z.object({
    streamArn: z.string().min(1),
    startSequenceNumber: z.string().regex(/^\d+$/),
    endSequenceNumber: z.string().regex(/^\d+$/),
    batchSize: z.number().int().nonnegative(),
  }),
});

/** The notifier's failure queue (SQS), read to its end once per redrive. */
export class SqsFailureQueue implements FailureQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receiveAll(): Promise<{ batches: FailedBatch[]; unreadable: string[] }> {
    const batches: FailedBatch[] = [];
    const unreadable: string[] = [];
    for (;;) {
      const { Messages: messages = [] } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: VISIBILITY_TIMEOUT_S,
          WaitTimeSeconds: 1,
        }),
      );
      if (messages.length === 0) return { batches, unreadable };
      for (const message of messages) {
        const handle = message.ReceiptHandle!;
        const parsed = onFailureRecordSchema.safeParse(safeJson(message.Body));
        if (!parsed.success) {
          unreadable.push(handle);
          continue;
        }
        const info = parsed.data.DDBStreamBatchInfo;
        batches.push({
          handle,
          streamArn: info.streamArn,
          startSequenceNumber: info.startSequenceNumber,
          endSequenceNumber: info.endSequenceNumber,
          batchSize: info.batchSize,
        });
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

function safeJson(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
}
