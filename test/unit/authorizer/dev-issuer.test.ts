import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createDevIssuer, DEV_ISSUER_KEY_FILE, LOCAL_AUDIENCE, localIssuerUrl } from '../../../local/dev-issuer';

const ISSUER = localIssuerUrl(3000);

describe('dev issuer', () => {
  let stateDir: string;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'keyward-dev-issuer-'));
  });

  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('follows the local issuer conventions', () => {
    expect(ISSUER).toBe('http://127.0.0.1:3000/local-issuer');
    expect(LOCAL_AUDIENCE).toBe('keyward-local');
  });

  it('mints an ID token that verifies against its own JWKS', async () => {
    const issuer = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE });
    const jwt = await issuer.mint({ email: 'Admin@Demo.test' });
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(issuer.jwks()), { issuer: ISSUER, audience: LOCAL_AUDIENCE });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: LOCAL_AUDIENCE,
      email: 'Admin@Demo.test',
      email_verified: true,
      token_use: 'id',
    });
    expect(typeof payload.sub).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(12 * 60 * 60);
    expect(decodeProtectedHeader(jwt).kid).toBe(issuer.jwks().keys[0]!.kid);
  });

  it('mints unverified-email and custom-lifetime tokens on request', async () => {
    const issuer = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE });
    const jwt = await issuer.mint({ email: 'a@demo.test', emailVerified: false, expiresIn: '5m' });
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(issuer.jwks()));
    expect(payload.email_verified).toBe(false);
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('publishes only the public key', async () => {
    const issuer = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE, stateDir });
    const [key] = issuer.jwks().keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
  });

  it('persists its key pair so tokens survive a restart', async () => {
    const first = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE, stateDir });
    const jwt = await first.mint({ email: 'admin@demo.test' });
    const file = join(stateDir, DEV_ISSUER_KEY_FILE);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('d');
    expect(statSync(file).mode & 0o077).toBe(0);

    const second = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE, stateDir });
    expect(second.jwks()).toEqual(first.jwks());
    await expect(jwtVerify(jwt, createLocalJWKSet(second.jwks()), { issuer: ISSUER, audience: LOCAL_AUDIENCE })).resolves.toBeDefined();
  });

  it('uses a fresh key pair without a state directory', async () => {
    const first = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE });
    const second = await createDevIssuer({ issuer: ISSUER, audience: LOCAL_AUDIENCE });
    const jwt = await first.mint({ email: 'admin@demo.test' });
    await expect(jwtVerify(jwt, createLocalJWKSet(second.jwks()))).rejects.toThrow();
  });
});
