import { MessageRejected, SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { SesMailer } from '../../../lambdas/adapters/ses-mailer';

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

  it('propagates a rejected send, so the caller can retry it', async () => {
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'Email address is not verified', $metadata: {} }));

    await expect(new SesMailer(new SESClient({ region: 'eu-west-1' }), 'keyward@acme.test').send(EMAIL)).rejects.toThrow(
      'Email address is not verified',
    );
  });
});
