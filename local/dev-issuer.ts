import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

/**
 * The local dev OIDC issuer (API.md §6), standing in for Cognito: it signs ID-token-like JWTs that
 * the real admin authorizer verifies against the JWKS the local gateway serves. Used by the local
 * runtime, `keyward token` and tests.
 */

/** Path of the issuer under the local gateway: the issuer URL is `http://127.0.0.1:<PORT>/local-issuer`. */
export const LOCAL_ISSUER_PATH = '/local-issuer';
/** Where the JWKS sits under the issuer URL (Cognito's layout, the admin authorizer's default). */
export const JWKS_PATH = '/.well-known/jwks.json';
export const LOCAL_AUDIENCE = 'keyward-local';
/** File under the state directory holding the private key, so tokens survive restarts. */
export const DEV_ISSUER_KEY_FILE = 'dev-issuer-key.json';

const ALGORITHM = 'ES256';

export function localIssuerUrl(port: number, host = '127.0.0.1'): string {
  return `http://${host}:${port}${LOCAL_ISSUER_PATH}`;
}

export interface MintOptions {
  email: string;
  /** @default true */
  emailVerified?: boolean;
  /** A jose time span (`'12h'`, `'5m'`, `'-1h'` for an already expired token). @default '12h' */
  expiresIn?: string;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public JWKS document to serve at `<issuer>/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet;
  mint(options: MintOptions): Promise<string>;
}

export interface DevIssuerOptions {
  /** When given, the key pair is kept in `<stateDir>/dev-issuer-key.json` and reused. */
  stateDir?: string;
  issuer: string;
  audience: string;
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: ALGORITHM, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

function readPersisted(file: string): JWK | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function loadOrCreatePrivateJwk(stateDir: string | undefined): Promise<JWK> {
  if (stateDir === undefined) return newPrivateJwk();
  const file = join(stateDir, DEV_ISSUER_KEY_FILE);
  const existing = readPersisted(file);
  if (existing) return existing;
  const created = await newPrivateJwk();
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  return created;
}

export async function createDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const privateJwk = await loadOrCreatePrivateJwk(options.stateDir);
  const { d: _private, ...publicJwk } = privateJwk;
  const signingKey = (await importJWK(privateJwk, ALGORITHM)) as CryptoKey;
  const kid = privateJwk.kid!;

  return {
    issuer: options.issuer,
    audience: options.audience,
    jwks: () => ({ keys: [publicJwk] }),
    async mint({ email, emailVerified = true, expiresIn = '12h' }) {
      // `token_use: id` as on Cognito's ID tokens, so local runs meet the authorizer's strict rule.
      return new SignJWT({ email, email_verified: emailVerified, token_use: 'id' })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(`dev|${email.toLowerCase()}`)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(signingKey);
    },
  };
}
