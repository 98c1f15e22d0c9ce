import {
  AccountSendingPausedException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESClient,
  SESServiceException,
  SendEmailCommand,
} from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer';
import { EmailRejected } from '../../../lambdas/domain/ports';

const ses = mockClient(SESClient);

const EMAIL = {
  bcc: ['a@acme.test', 'b@acme.test'],
  subject: 'A new API key has been created',
  text: 'A new API key (kw_••••••••9fQz)',
  html: '<p>A new API key (kw_••••••••9fQz)</p>',
};

describe('SesMailer', () => {
  beforeEach(() => ses.reset());

  it('sends one SendEmail with every admin in BCC and both bodies in UTF-8', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    await new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test').send(EMAIL);

    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Source: 'keyward@acme.test',
      Destination: { BccAddresses: ['a@acme.test', 'b@acme.test'] },
      Message: {
        Subject: { Data: EMAIL.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: EMAIL.text, Charset: 'UTF-8' }, Html: { Data: EMAIL.html, Charset: 'UTF-8' } },
      },
    });
  });

  it('sends with the configuration set when it has one', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    await new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test', 'keyward-prod-notifications').send(EMAIL);

    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.ConfigurationSetName).toBe('keyward-prod-notifications');
  });

  it.each([
    ['MessageRejected', () => new MessageRejected({ message: 'Email address is not verified', $metadata: {} })],
    ['MailFromDomainNotVerifiedException', () => new MailFromDomainNotVerifiedException({ message: 'not verified', $metadata: {} })],
  ])('turns %s into EmailRejected: no retry can send it', async (code, error) => {
    ses.on(SendEmailCommand).rejects(error());

    const sent = new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test').send(EMAIL);

    await expect(sent).rejects.toBeInstanceOf(EmailRejected);
    await expect(sent).rejects.toMatchObject({ code });
  });

  it.each([
    [
      'throttling',
      () => new SESServiceException({ name: 'Throttling', $fault: 'client', message: 'Maximum sending rate exceeded.', $metadata: {} }),
    ],
    ['a paused account', () => new AccountSendingPausedException({ message: 'Email sending is disabled', $metadata: {} })],
  ])('propagates %s as it is, so the caller retries it', async (_name, error) => {
    ses.on(SendEmailCommand).rejects(error());

    const sent = new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test').send(EMAIL);

    await expect(sent).rejects.not.toBeInstanceOf(EmailRejected);
    await expect(sent).rejects.toThrow(error().message);
  });

  it('refuses more recipients than SES takes in one message, without calling SES', async () => {
    const bcc = Array.from({ length: 51 }, (_, i) => `admin${i}@acme.test`);

    const sent = new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test').send({ ...EMAIL, bcc });

    await expect(sent).rejects.toThrow('at most 50 recipients, got 51');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
