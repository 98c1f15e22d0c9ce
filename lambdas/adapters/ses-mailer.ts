import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { EmailRejected, type Mailer, type OutgoingEmail } from '../domain/ports';

const CHARSET = 'UTF-8';

/**
 * SES errors that no retry cures: the message was refused (in the sandbox, any recipient that is
 * not a verified identity; also a sender identity that is not verified), or the MAIL FROM domain
 * is not verified. Throttling, a paused account or a 5xx pass, and stay retryable.
 */
const PERMANENT_REJECTIONS: ReadonlySet<string> = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException']);

/**
 * SES takes at most 50 recipients per message, To, Cc and Bcc together (SendEmail API reference:
 * "divide your recipient list into groups of 50 or fewer"); more is refused with
 * `InvalidParameterValue`, which no retry cures.
 */
export const SES_MAX_RECIPIENTS = 50;

/**
 * Admin emails through SES (API.md §5): every admin in BCC, text and HTML bodies, through the
 * stage's configuration set when there is one (its reputation metrics feed the bounce and
 * complaint alarms).
 */
export class SesMailer implements Mailer {
  readonly maxRecipients = SES_MAX_RECIPIENTS;

  constructor(
    private readonly client: SESClient,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  sendEmailInput(email: OutgoingEmail): SendEmailCommandInput {
    return {
      ...(this.configurationSet === undefined ? {} : { ConfigurationSetName: this.configurationSet }),
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
    if (email.bcc.length > this.maxRecipients) {
      throw new RangeError(`an email may have at most ${this.maxRecipients} recipients, got ${email.bcc.length}`);
    }
    try {
      await this.client.send(new SendEmailCommand(this.sendEmailInput(email)));
    } catch (error) {
      if (error instanceof Error && PERMANENT_REJECTIONS.has(error.name))
        throw new EmailRejected(error.name, error.message, { cause: error });
      throw error;
    }
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
