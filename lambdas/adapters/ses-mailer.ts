import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import type { Mailer, OutgoingEmail } from '../domain/ports';

const CHARSET = 'UTF-8';

/** Admin emails through SES (API.md §5): every admin in BCC, text and HTML bodies. */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient,
    private readonly from: string,
  ) {}

  sendEmailInput(email: OutgoingEmail): SendEmailCommandInput {
    return {
      Source: this.from,
      Destination: { BccAddresses: email.bcc },
      Message: {
        Subject: { Data: email.subject, Charset: CHARSET },
        Body: {
          Text: { Data: email.text, Charset: CHARSET },
          Html: { Data: email.html, Charset: CHARSET },
        },
      },
    };
  }

  async send(email: OutgoingEmail): Promise<void> {
    await this.client.send(new SendEmailCommand(this.sendEmailInput(email)));
  }
}

/**
 * The SES client: the default chain in AWS; pointed at the SES emulator with placeholder
 * credentials locally (the emulator only checks that the request is signed).
 */
export function createSesClient(endpoint?: string): SESClient {
  return endpoint
    ? new SESClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
    : new SESClient({});
}
