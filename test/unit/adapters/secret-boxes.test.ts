import { randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsSecretBox } from '../../../lambdas/adapters/kms-secret-box';
import { LocalSecretBox } from '../../../lambdas/adapters/local-secret-box';

const TOKEN = 'kw_AbCdEfGhIjKlMnOpQrStUvWxYz01230a1B2c';
const CONTEXT = { organization_id: 'acme', api_key_id: '01JKEYAAAAAAAAAAAAAAAAAAAA' };

describe('LocalSecretBox', () => {
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));

  it('decrypts what it encrypted under the same context', async () => {
    const sealed = await box.encrypt(TOKEN, CONTEXT);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(TOKEN.slice(3));
    await expect(box.decrypt(sealed, CONTEXT)).resolves.toBe(TOKEN);
  });

  it('uses a fresh IV each time', async () => {
    expect(await box.encrypt(TOKEN, CONTEXT)).not.toBe(await box.encrypt(TOKEN, CONTEXT));
  });

  it('refuses a ciphertext moved to another key record', async () => {
    const sealed = await box.encrypt(TOKEN, CONTEXT);
    await expect(box.decrypt(sealed, { ...CONTEXT, api_key_id: '01JOTHERAAAAAAAAAAAAAAAAAA' })).rejects.toThrow();
    await expect(box.decrypt(sealed, { ...CONTEXT, organization_id: 'other' })).rejects.toThrow();
  });

  it('refuses a tampered ciphertext', async () => {
    const [version, iv, tag, body] = (await box.encrypt(TOKEN, CONTEXT)).split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    await expect(box.decrypt([version, iv, tag, flipped.toString('base64url')].join('.'), CONTEXT)).rejects.toThrow();
  });

  it('refuses a ciphertext made under another master key', async () => {
    const other = new LocalSecretBox(randomBytes(32).toString('base64'));
    await expect(box.decrypt(await other.encrypt(TOKEN, CONTEXT), CONTEXT)).rejects.toThrow();
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => new LocalSecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});

describe('KmsSecretBox', () => {
  const kms = mockClient(KMSClient);
  beforeEach(() => kms.reset());

  it('encrypts under the configured key with the key record as encryption context', async () => {
    kms.on(EncryptCommand).resolves({ CiphertextBlob: Uint8Array.from([1, 2, 3]) });
    const box = new KmsSecretBox(new KMSClient({ region: 'us-east-1' }), 'alias/keyward');
    await expect(box.encrypt(TOKEN, CONTEXT)).resolves.toBe(Buffer.from([1, 2, 3]).toString('base64'));
    const input = kms.commandCalls(EncryptCommand)[0]!.args[0].input;
    expect(input.KeyId).toBe('alias/keyward');
    expect(input.EncryptionContext).toEqual(CONTEXT);
    expect(Buffer.from(input.Plaintext!).toString('utf8')).toBe(TOKEN);
  });

  it('decrypts with the same encryption context', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from(TOKEN, 'utf8') });
    const box = new KmsSecretBox(new KMSClient({ region: 'us-east-1' }), 'alias/keyward');
    await expect(box.decrypt(Buffer.from([9, 9]).toString('base64'), CONTEXT)).resolves.toBe(TOKEN);
    const input = kms.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(input.EncryptionContext).toEqual(CONTEXT);
    expect(Buffer.from(input.CiphertextBlob!)).toEqual(Buffer.from([9, 9]));
  });
});
