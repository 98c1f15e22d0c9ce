import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretBox, SecretContext } from '../domain/ports';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * The local stand-in for KMS: AES-256-GCM under a 32-byte master key (`LOCAL_MASTER_KEY`,
 * base64). The encryption context is the additional authenticated data, so, as with KMS, a
 * ciphertext copied onto another key record fails to decrypt. Output:
 * `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export class LocalSecretBox implements SecretBox {
  private readonly key: Buffer;

  constructor(masterKeyBase64: string) {
    const key = Buffer.from(masterKeyBase64, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`LOCAL_MASTER_KEY must be ${KEY_BYTES} bytes, base64-encoded (got ${key.length} bytes)`);
    }
    this.key = key;
  }

  async encrypt(plaintext: string, context: SecretContext): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  async decrypt(sealed: string, context: SecretContext): Promise<string> {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('not a LocalSecretBox v1 ciphertext');
    const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('not a LocalSecretBox v1 ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(context));
    decipher.setAuthTag(tag);
    // final() throws when the tag does not verify: wrong key, wrong context, or tampering.
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  }
}

/** A fixed field order, so the same context always yields the same bytes. */
function additionalData(context: SecretContext): Buffer {
  return Buffer.from(JSON.stringify({ organization_id: context.organization_id, api_key_id: context.api_key_id }), 'utf8');
}
