import { DynamoDbUsageCounters } from './adapters/dynamodb/usage-counters';
import { functionTable } from './runtime/wiring';
import { createUsageAggregator, type UsageAggregator } from './usage/aggregator';

/**
 * The usage aggregator Lambda: a CloudWatch Logs subscription filter on the consumer API's access
 * log invokes it asynchronously (retries, then its on-failure queue); locally the log shipper
 * invokes it with the same payload from the gateway's access log. The logic is in usage/aggregator.ts.
 * It writes the usage counters and batch markers only (its grant's `dynamodb:LeadingKeys`).
 */
const { db, tableName } = functionTable();

export const handler: UsageAggregator = createUsageAggregator({ counters: new DynamoDbUsageCounters(db, tableName) });
