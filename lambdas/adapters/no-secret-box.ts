import type { SecretBox } from '../domain/ports';

/**
 * The SecretBox of code that must never handle a token in clear (functions without KMS rights,
 * CLI commands about members): any use is a wiring bug and fails loudly.
 */
export const NO_SECRET_BOX: SecretBox = {
  encrypt: () => Promise.reject(new Error('this code path is not configured to encrypt tokens')),
  decrypt: () => Promise.reject(new Error('this code path is not configured to decrypt tokens')),
};
