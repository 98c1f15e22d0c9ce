import { DynamoDbUsageCounters } from './adapters/dynamodb/usage-counters';
import { functionTable } from './runtime/wiring';
import { createUsageRollup, type UsageRollup } from './usage/rollup';

/**
 * The usage rollup Lambda: an EventBridge schedule invokes it every 15 minutes (asynchronously:
 * retries, then its on-failure queue); locally a timer loop of the local runtime runs it. The
 * logic is in usage/rollup.ts. It reads the raw tallies and the hour markers, and writes the
 * counters and the markers only (its grant's `dynamodb:LeadingKeys`).
 */
const { db, tableName } = functionTable();

export const handler: UsageRollup = createUsageRollup({ store: new DynamoDbUsageCounters(db, tableName) });
