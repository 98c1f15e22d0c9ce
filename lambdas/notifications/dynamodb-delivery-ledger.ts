import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deliveryKey, PARTITION_KEY, TTL_ATTRIBUTE } from '../table/layout';
import type { ClaimResult, DeliveryLedger } from './delivery-ledger';

/** How long a claim protects an in-flight send; longer than the notifier's timeout. */
export const CLAIM_LEASE_MS = 5 * 60 * 1000;
/** Delivery records outlive the stream's 24 h retention, after which no redelivery can happen. */
export const SENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The delivery ledger as one item per event in the keyward table. A conditional "claim" item is
 * used rather than `@aws-lambda-powertools/idempotency` (not a dependency of this project): the
 * rules are three conditional writes, tested against DynamoDB Local, and the items carry no
 * `entity` attribute, so the stream filter ignores them.
 */
export class DynamoDbDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(eventId: string, now: Date): Promise<ClaimResult> {
    const token = randomUUID();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...deliveryKey(eventId),
            status: 'pending',
            claim_token: token,
            lease_expires_at: now.getTime() + CLAIM_LEASE_MS,
            [TTL_ATTRIBUTE]: Math.ceil((now.getTime() + SENT_RETENTION_MS) / 1000),
          },
          ConditionExpression: `attribute_not_exists(${PARTITION_KEY}) OR (#status = :pending AND lease_expires_at < :now) OR #status = :failed`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':now': now.getTime(), ':failed': 'failed' },
        }),
      );
      return { status: 'claimed', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.db.send(new GetCommand({ TableName: this.tableName, Key: deliveryKey(eventId), ConsistentRead: true }));
    return existing.Item?.status === 'sent' ? { status: 'sent' } : { status: 'in_progress' };
  }

  async markSent(eventId: string, now: Date): Promise<void> {
    // Unconditional: the email went out, even if our lease lapsed meanwhile.
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: deliveryKey(eventId),
        UpdateExpression: 'SET #status = :sent, sent_at = :at REMOVE lease_expires_at, claim_token',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':at': now.toISOString() },
      }),
    );
  }

  async markFailed(eventId: string, token: string, now: Date, reason: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKey(eventId),
          UpdateExpression: 'SET #status = :failed, failed_at = :at, failure = :reason REMOVE lease_expires_at, claim_token',
          // Not over a delivery that another holder finished meanwhile (its claim token is gone).
          ConditionExpression: 'claim_token = :token AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':at': now.toISOString(),
            ':reason': reason,
            ':token': token,
            ':pending': 'pending',
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async release(eventId: string, token: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: deliveryKey(eventId),
          ConditionExpression: 'claim_token = :token AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': token, ':pending': 'pending' },
        }),
      );
    } catch (error) {
      // Someone else holds or finished the claim: theirs to settle.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
