import { SendEmailCommand } from '@aws-sdk/client-ses';
import { createSesClient } from '../../../lambdas/adapters/ses-mailer';
import { type SesEmulator, startSesEmulator } from '../../../local/ses-emulator';
import { freePort } from '../../support/free-port';

/**
 * aws-ses-v2-local answers some inbox requests twice and then rejects a promise nobody handles;
 * in the local stack's process that would be an unhandled rejection. The front server refuses them.
 */
describe('the SES emulator', () => {
  let ses: SesEmulator;
  const rejections: unknown[] = [];
  const record = (reason: unknown): void => {
    rejections.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', record);
    ses = await startSesEmulator({ port: await freePort() });
  });

  afterAll(async () => {
    await ses.stop();
    process.off('unhandledRejection', record);
  });

  it.each([
    ['/get-emlContent?messageId=nope', 404],
    ['/get-emlContent', 400],
    ['/get-emlContent?messageId=a&messageId=b', 400],
    ['/store?since=abc', 400],
    ['/store?since=1&since=2', 400],
  ])('refuses GET %s with %i and no unhandled rejection', async (path, status) => {
    const reply = await fetch(`${ses.endpoint}${path}`);
    expect(reply.status).toBe(status);
    expect(await reply.json()).toEqual({ message: expect.any(String) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rejections).toEqual([]);
  });

  it('still serves the inbox and the mail list', async () => {
    expect((await fetch(`${ses.endpoint}/store?since=0`)).status).toBe(200);
    expect((await fetch(`${ses.endpoint}/store`)).status).toBe(200);
    expect((await fetch(`${ses.endpoint}/`)).status).toBe(200);
  });

  describe('the recipient limit SES enforces (50 per message, To, Cc and Bcc together)', () => {
    const send = (to: number, bcc: number) => {
      const client = createSesClient(ses.endpoint);
      const addresses = (kind: string, count: number) => Array.from({ length: count }, (_, i) => `${kind}${i}@acme.test`);
      return client
        .send(
          new SendEmailCommand({
            Source: 'keyward@acme.test',
            Destination: { ToAddresses: addresses('to', to), BccAddresses: addresses('bcc', bcc) },
            Message: { Subject: { Data: 'limit' }, Body: { Text: { Data: 'limit' } } },
          }),
        )
        .finally(() => client.destroy());
    };

    it('accepts a message of 50 recipients', async () => {
      await expect(send(1, 49)).resolves.toMatchObject({ MessageId: expect.any(String) });
    });

    it('refuses 51 with InvalidParameterValue, as SES does', async () => {
      await expect(send(1, 50)).rejects.toMatchObject({ name: 'InvalidParameterValue', message: 'Recipient count exceeds 50.' });
    });
  });
});
