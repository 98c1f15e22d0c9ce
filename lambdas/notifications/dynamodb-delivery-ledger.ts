import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { deliveryKey, PARTITION_KEY, TTL_ATTRIBUTE } from '../table/layout';
import type { ClaimResult, DeliveryLedger } from './delivery-ledger';

/** How long a claim protects an in-flight send; longer than the notifier's timeout. */
export const CLAIM_LEASE_MS = 5 * 60 * 1000;
/** Delivery records outlive the stream's 24 h retention, after which no redelivery can happen. */
export const SENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** The string set of the recipients the event's messages reached so far. */
const REACHED = 'reached';

/**
 * The delivery ledger as one item per event in the keyward table. A conditional "claim" item is
 * used rather than `@aws-lambda-powertools/idempotency` (not a dependency of this project): the
 * rules are a few conditional writes, tested against DynamoDB Local, and the items carry no
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
      // An update, not a put: the recipients an earlier attempt reached must survive the new claim.
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKey(eventId),
          UpdateExpression: 'SET #status = :pending, claim_token = :token, lease_expires_at = :lease, #ttl = :ttl',
          ConditionExpression: `attribute_not_exists(${PARTITION_KEY}) OR (#status = :pending AND lease_expires_at < :now) OR #status = :failed`,
          ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':token': token,
            ':lease': now.getTime() + CLAIM_LEASE_MS,
            ':ttl': Math.ceil((now.getTime() + SENT_RETENTION_MS) / 1000),
            ':now': now.getTime(),
            ':failed': 'failed',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { status: 'claimed', token, reached: new Set<string>(Attributes?.[REACHED] ?? []) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.db.send(new GetCommand({ TableName: this.tableName, Key: deliveryKey(eventId), ConsistentRead: true }));
    return existing.Item?.status === 'sent' ? { status: 'sent' } : { status: 'in_progress' };
  }

  async recordReached(eventId: string, recipients: readonly string[]): Promise<void> {
    // Unconditional on the claim (the message went out, even if our lease lapsed meanwhile), but
    // never on a missing item, which would be left without a status that any claim could take.
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: deliveryKey(eventId),
        UpdateExpression: `ADD ${REACHED} :recipients`,
        ConditionExpression: `attribute_exists(${PARTITION_KEY})`,
        ExpressionAttributeValues: { ':recipients': new Set(recipients) },
      }),
    );
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
      // A lapsed lease rather than a delete: the next claim takes it at once and keeps `reached`.
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKey(eventId),
          UpdateExpression: 'SET lease_expires_at = :lapsed REMOVE claim_token',
          ConditionExpression: 'claim_token = :token AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': token, ':pending': 'pending', ':lapsed': 0 },
        }),
      );
    } catch (error) {
      // Someone else holds or finished the claim: theirs to settle.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
