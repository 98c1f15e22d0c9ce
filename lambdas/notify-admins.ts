import { createSesClient, SesMailer } from './adapters/ses-mailer';
import { systemClock } from './domain/clock';
import { DynamoDbDeliveryLedger } from './notifications/dynamodb-delivery-ledger';
import { DynamoDbUndeliveredLog } from './notifications/dynamodb-undelivered-log';
import { createNotifier, type Notifier } from './notifications/notifier';
import { createStillInUseWatcher } from './notifications/still-in-use-watcher';
import { createMetrics } from './observability/metrics';
import { notifierMetrics } from './observability/notifier-metrics';
import { tracer } from './observability/tracer';
import { mailConfig } from './runtime/config';
import { functionTable } from './runtime/wiring';

/**
 * The notifier Lambda: the table stream's event-source mapping (filtered with MAIL_STREAM_FILTER
 * and KEY_USAGE_STREAM_FILTER, ReportBatchItemFailures on, on-failure destination an SQS DLQ)
 * invokes it; locally the stream poller does. The logic is in notifications/notifier.ts and
 * notifications/still-in-use-watcher.ts.
 *
 * Traced (Powertools Tracer): a slow or failing email shows as its SES or DynamoDB call in X-Ray.
 * The notifier runs off the request path, so the tracer's cold start costs no caller anything.
 */
const table = functionTable();
const mail = mailConfig();
const ses = tracer.captureAWSv3Client(createSesClient(mail.SES_ENDPOINT));
tracer.captureAWSv3Client(table.db);

/**
 * The notifier as wired in Lambda. `stillInUseWindowMs` is not deployment configuration: the
 * rule's hour is fixed, and only the local runtime shortens it, for its end-to-end tests.
 */
export function createNotifierHandler(options: { stillInUseWindowMs?: number } = {}): Notifier {
  return createNotifier({
    store: table.store,
    mailer: new SesMailer(ses, mail.SES_FROM_ADDRESS, mail.SES_CONFIGURATION_SET),
    ledger: new DynamoDbDeliveryLedger(table.db, table.tableName),
    undelivered: new DynamoDbUndeliveredLog(table.db, table.tableName),
    clock: systemClock,
    metrics: notifierMetrics(createMetrics()),
    stillInUse: createStillInUseWatcher({ store: table.store, clock: systemClock, windowMs: options.stillInUseWindowMs }),
  });
}

export const handler: Notifier = createNotifierHandler();
