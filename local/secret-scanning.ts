import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, writePrivateFile } from './state';

/**
 * The local stand-in for GitHub's side of secret scanning (API.md §10): a P-256 key pair of the
 * state directory (owner-only, like the master key), its public key served in GitHub's document
 * format, and a report signed exactly as GitHub signs one (ECDSA P-256 / SHA-256 over the raw
 * body, base64 DER, in `Github-Public-Key-Signature`). `keyward dev report-leak` and the tests use it.
 */

/** Where the gateway serves the stand-in key document (the handlers' `SECRET_SCANNING_KEYS_URL` by default). */
export const SECRET_SCANNING_KEYS_PATH = '/local-secret-scanning/public_keys';
const SIGNER_FILE = 'secret-scanning-signer.pem';

export interface ScanningSigner {
  /** `Github-Public-Key-Identifier`: here the SHA-256 of the public key, hex, as GitHub's identifiers are. */
  keyIdentifier: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

function signerOf(privateKey: KeyObject): ScanningSigner {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyIdentifier: createHash('sha256').update(der).digest('hex'),
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A new signer, in memory (tests). */
export function generateSigner(): ScanningSigner {
  return signerOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

/** The state directory's signer, created (mode 0600) on first use. */
export function loadOrCreateSigner(stateDir: string): ScanningSigner {
  const file = join(stateDir, SIGNER_FILE);
  if (existsSync(file)) return signerOf(createPrivateKey(readFileSync(file, 'utf8')));
  mkdirSync(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const signer = generateSigner();
  writePrivateFile(file, signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return signer;
}

/** The public keys document, in GitHub's format. */
export function keyDocument(signers: readonly ScanningSigner[]): {
  public_keys: { key_identifier: string; key: string; is_current: boolean }[];
} {
  return {
    public_keys: signers.map((signer, index) => ({
      key_identifier: signer.keyIdentifier,
      key: signer.publicKeyPem,
      is_current: index === 0,
    })),
  };
}

/** The headers GitHub sends with a report body. */
export function signatureHeaders(body: string | Buffer, signer: ScanningSigner): Record<string, string> {
  return {
    'Github-Public-Key-Identifier': signer.keyIdentifier,
    'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), { key: signer.privateKey, dsaEncoding: 'der' }).toString('base64'),
  };
}

export interface LeakReport {
  token: string;
  type?: string;
  url?: string;
  source?: string;
}

/** A report body as GitHub sends one: a JSON array of `{token,type,url,source}`. */
export function reportBody(items: readonly LeakReport[]): string {
  return JSON.stringify(
    items.map((item) => ({
      token: item.token,
      type: item.type ?? 'keyward_api_key',
      url: item.url ?? 'https://github.com/example/repo/blob/0000000/config.env',
      source: item.source ?? 'content',
    })),
  );
}

/** Signs and posts a report to `endpoint` exactly as GitHub does; the answer's status and parsed body. */
export async function postReport(
  endpoint: string,
  items: readonly LeakReport[],
  signer: ScanningSigner,
): Promise<{ status: number; body: unknown }> {
  const body = reportBody(items);
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'GitHub-Secret-Scanning', ...signatureHeaders(body, signer) },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: shown as it is.
  }
  return { status: response.status, body: parsed };
}

/** A local site (gateway `sites`) serving `GET <SECRET_SCANNING_KEYS_PATH>`. */
export function keyDocumentSite(signer: ScanningSigner) {
  const document = JSON.stringify(keyDocument([signer]));
  return async (request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> => {
    if (path !== SECRET_SCANNING_KEYS_PATH || request.method !== 'GET') return false;
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(document);
    return true;
  };
}
