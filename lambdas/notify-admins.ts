import { createSesClient, SesMailer } from './adapters/ses-mailer';
import { mailConfig, tableConfig } from './config';
import { systemClock } from './domain/clock';
import { DynamoDbDeliveryLedger } from './notifications/dynamodb-delivery-ledger';
import { createNotifier, type Notifier } from './notifications/notifier';
import { documentClient, keyStore } from './runtime';

/**
 * The notifier Lambda: the table stream's event-source mapping (filtered with
 * MAIL_STREAM_FILTER, ReportBatchItemFailures on, on-failure destination an SQS DLQ) invokes it;
 * locally the stream poller does. The logic is in notifications/notifier.ts.
 */
const table = tableConfig();
const mail = mailConfig();

export const handler: Notifier = createNotifier({
  store: keyStore(),
  mailer: new SesMailer(createSesClient(mail.SES_ENDPOINT), mail.SES_FROM_ADDRESS),
  ledger: new DynamoDbDeliveryLedger(documentClient(), table.TABLE_NAME),
  clock: systemClock,
});
