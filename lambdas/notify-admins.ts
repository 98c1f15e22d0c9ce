import { createSesClient, SesMailer } from './adapters/ses-mailer';
import { systemClock } from './domain/clock';
import { DynamoDbDeliveryLedger } from './notifications/dynamodb-delivery-ledger';
import { createNotifier, type Notifier } from './notifications/notifier';
import { createMetrics } from './observability/metrics';
import { notifierMetrics } from './observability/notifier-metrics';
import { mailConfig } from './runtime/config';
import { functionTable } from './runtime/wiring';

/**
 * The notifier Lambda: the table stream's event-source mapping (filtered with
 * MAIL_STREAM_FILTER, ReportBatchItemFailures on, on-failure destination an SQS DLQ) invokes it;
 * locally the stream poller does. The logic is in notifications/notifier.ts.
 */
const table = functionTable();
const mail = mailConfig();

export const handler: Notifier = createNotifier({
  store: table.store,
  mailer: new SesMailer(createSesClient(mail.SES_ENDPOINT), mail.SES_FROM_ADDRESS, mail.SES_CONFIGURATION_SET),
  ledger: new DynamoDbDeliveryLedger(table.db, table.tableName),
  clock: systemClock,
  metrics: notifierMetrics(createMetrics()),
});
