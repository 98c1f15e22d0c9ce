import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Clock } from '../domain/clock';
import { InvalidSignature, SignatureKeysUnavailable } from '../domain/leak';
import type { SignatureVerifier } from '../domain/ports';
import { logger } from '../observability/logger';

/** An unknown key identifier refetches the document at most this often, so forged identifiers cannot make us hammer the signer. */
export const REFETCH_INTERVAL_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

export interface PublicKeyDirectoryOptions {
  /** The key document, in GitHub's format `{"public_keys":[{"key_identifier","key":"<PEM>","is_current"}]}`. */
  url: string;
  clock: Clock;
  /** Injectable for fault tests only. */
  fetch?: typeof fetch;
}

/**
 * Verifies a report's ECDSA P-256 / SHA-256 signature (base64 DER) over the raw body with
 * node:crypto, against the keys published at `url`. The document is cached for the life of the
 * function; an identifier it does not hold refetches it, at most once a minute. Every key in the
 * document is trusted (GitHub rotates keys by publishing the next one before signing with it).
 */
export class PublicKeyDirectory implements SignatureVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt: number | undefined;
  private pending: Promise<void> | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PublicKeyDirectoryOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  async verify(body: Buffer, keyIdentifier: string | undefined, signature: string | undefined): Promise<void> {
    if (!keyIdentifier || !signature) throw new InvalidSignature();
    const key = await this.keyFor(keyIdentifier);
    const der = Buffer.from(signature, 'base64');
    let valid = false;
    try {
      valid = verify('sha256', body, { key, dsaEncoding: 'der' }, der);
    } catch {
      // Not a DER signature at all, or one for another algorithm.
    }
    if (!valid) throw new InvalidSignature();
  }

  private async keyFor(identifier: string): Promise<KeyObject> {
    const known = this.keys.get(identifier);
    if (known) return known;
    const now = this.options.clock.now().getTime();
    if (this.fetchedAt === undefined || now - this.fetchedAt >= REFETCH_INTERVAL_MS) {
      this.pending ??= this.refresh(now).finally(() => {
        this.pending = undefined;
      });
      await this.pending;
    } else if (this.pending) {
      await this.pending;
    }
    const key = this.keys.get(identifier);
    if (key) return key;
    if (this.keys.size === 0) throw new SignatureKeysUnavailable();
    throw new InvalidSignature();
  }

  private async refresh(now: number): Promise<void> {
    this.fetchedAt = now;
    try {
      const response = await this.fetch(this.options.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`the key document answered ${response.status}`);
      this.keys = parseKeyDocument(await response.json());
    } catch (error) {
      // Keys fetched before stay trusted; with none, reports are refused as unverifiable.
      logger.warn('secret-scanning public keys not fetched', { url: this.options.url, error: (error as Error).message });
    }
  }
}

/** The keys of a document in GitHub's format; entries that are not a P-256 public key are skipped. */
export function parseKeyDocument(document: unknown): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const entries = (document as { public_keys?: unknown })?.public_keys;
  if (!Array.isArray(entries)) throw new Error('the key document has no public_keys list');
  for (const entry of entries as { key_identifier?: unknown; key?: unknown }[]) {
    if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') continue;
    try {
      const key = createPublicKey(entry.key);
      if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(entry.key_identifier, key);
    } catch {
      // Not a PEM public key: skipped, so one bad entry cannot disable the others.
    }
  }
  return keys;
}
