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
});
