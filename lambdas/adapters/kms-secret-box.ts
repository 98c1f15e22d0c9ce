import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox, SecretContext } from '../domain/ports';

/**
 * Tokens encrypted under a KMS key. The encryption context {organization_id, api_key_id} binds
 * each ciphertext to its key record (KMS refuses to decrypt it under any other context) and
 * shows up in CloudTrail, so every decrypt is attributable to one key. Ciphertext is base64.
 */
export class KmsSecretBox implements SecretBox {
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  async encrypt(plaintext: string, context: SecretContext): Promise<string> {
    const result = await this.client.send(
      new EncryptCommand({
        KeyId: this.keyId,
        Plaintext: Buffer.from(plaintext, 'utf8'),
        EncryptionContext: encryptionContext(context),
      }),
    );
    if (!result.CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return Buffer.from(result.CiphertextBlob).toString('base64');
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<string> {
    const result = await this.client.send(
      new DecryptCommand({
        // Pinning the key stops a ciphertext made under another KMS key from being accepted.
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(ciphertext, 'base64'),
        EncryptionContext: encryptionContext(context),
      }),
    );
    if (!result.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(result.Plaintext).toString('utf8');
  }
}

function encryptionContext(context: SecretContext): Record<string, string> {
  return { organization_id: context.organization_id, api_key_id: context.api_key_id };
}
