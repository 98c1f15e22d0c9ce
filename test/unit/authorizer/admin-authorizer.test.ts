import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type * as AdminModule from '../../../lambdas/admin-authorizer';
import type { Member } from '../../../lambdas/domain/ports';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';

const ISSUER = 'https://issuer.test/pool';
const AUDIENCE = 'keyward-client';
const KEYS_PATH = '/v1/organizations/{organization_id}/api_keys';

interface KeyPair {
  privateKey: CryptoKey;
  kid: string;
}

async function keyPair(kid: string): Promise<KeyPair & { publicJwk: Record<string, unknown> }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

interface SignOptions {
  issuer?: string;
  audience?: string;
  expiresIn?: string;
  /** Seconds from now; `null` leaves the claim out. @default 0 */
  issuedIn?: number | null;
  /** Seconds from now. */
  notBeforeIn?: number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function sign(key: KeyPair, claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setExpirationTime(options.expiresIn ?? '1h');
  if (options.issuedIn !== null) jwt.setIssuedAt(nowSeconds() + (options.issuedIn ?? 0));
  if (options.notBeforeIn !== undefined) jwt.setNotBefore(nowSeconds() + options.notBeforeIn);
  return jwt.sign(key.privateKey);
}

describe('admin authorizer', () => {
  let admin: typeof AdminModule;
  let authorize: AdminModule.AdminAuthorizer;
  let trusted: KeyPair;
  let stranger: KeyPair;
  const lookups: Array<[string, string]> = [];
  const members: Member[] = [
    { organizationId: 'acme', email: 'admin@acme.test', role: 'admin' },
    { organizationId: 'acme', email: 'dev@acme.test', role: 'member' },
  ];

  const claims = (email: string): JWTPayload => ({ email, email_verified: true, token_use: 'id' });
  const eventFor = (jwt: string | undefined, organizationId = 'acme') =>
    authorizerEvent({
      method: 'GET',
      resource: KEYS_PATH,
      pathParameters: { organization_id: organizationId },
      headers: jwt === undefined ? {} : { Authorization: `Bearer ${jwt}` },
    });

  beforeAll(async () => {
    admin = await importWithEnv(
      { TABLE_NAME: 'keyward-unit', ADMIN_JWT_ISSUER: ISSUER, ADMIN_JWT_AUDIENCE: AUDIENCE },
      () => import('../../../lambdas/admin-authorizer'),
    );
    const trustedPair = await keyPair('trusted');
    trusted = trustedPair;
    // Same kid as the trusted key, so only the signature can tell them apart.
    stranger = await keyPair('trusted');
    authorize = admin.createAdminAuthorizer({
      store: {
        getMember: async (organizationId, email) => {
          lookups.push([organizationId, email]);
          return members.find((m) => m.organizationId === organizationId && m.email === email);
        },
      },
      verify: admin.createJwtVerifier({ keys: createLocalJWKSet({ keys: [trustedPair.publicJwk] }), issuer: ISSUER, audience: AUDIENCE }),
    });
  });

  beforeEach(() => {
    lookups.length = 0;
  });

  describe('allows with the caller role in the context', () => {
    it.each([
      ['admin@acme.test', 'acme', 'admin'],
      ['dev@acme.test', 'acme', 'member'],
      ['outsider@other.test', 'acme', 'none'],
      ['admin@acme.test', 'unknown-org', 'none'],
    ])('%s in %s → %s', async (email, organizationId, role) => {
      const event = eventFor(await sign(trusted, claims(email)), organizationId);
      const result = await authorize(event);
      expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }]);
      expect(result.context).toEqual({ email, role });
      expect(result.principalId).toBe(email);
    });

    it('looks the membership up by lower-cased email', async () => {
      const result = await authorize(eventFor(await sign(trusted, claims('Admin@ACME.test'))));
      expect(result.context).toEqual({ email: 'admin@acme.test', role: 'admin' });
      expect(lookups).toEqual([['acme', 'admin@acme.test']]);
    });

    it.each([
      ['an iat 30 s ahead (clock skew)', { issuedIn: 30 }],
      ['an nbf 30 s ahead (clock skew)', { notBeforeIn: 30 }],
      ['an exp 30 s ago (clock skew)', { expiresIn: '-30s' }],
    ])('tolerates %s', async (_, options) => {
      const result = await authorize(eventFor(await sign(trusted, claims('admin@acme.test'), options)));
      expect(result.context).toEqual({ email: 'admin@acme.test', role: 'admin' });
    });

    it('accepts an ID token from an OIDC issuer that does not use token_use', async () => {
      const result = await authorize(eventFor(await sign(trusted, { email: 'admin@acme.test', email_verified: true })));
      expect(result.context).toEqual({ email: 'admin@acme.test', role: 'admin' });
    });

    it.each([
      ['an empty id', ''],
      ['a path', 'acme/../globex'],
      ['upper case', 'ACME'],
      ['3,001 characters (over DynamoDB key limits)', `a${'b'.repeat(3000)}`],
      ['__proto__', '__proto__'],
      ['a NUL character', 'acme\u0000'],
    ])('gives role none for %s, which cannot be an organization id, without a lookup', async (_, organizationId) => {
      const result = await authorize(eventFor(await sign(trusted, claims('admin@acme.test')), organizationId));
      expect(result.context).toEqual({ email: 'admin@acme.test', role: 'none' });
      expect(lookups).toEqual([]);
    });

    it('gives role none without an organization in the path', async () => {
      const event = { ...eventFor(await sign(trusted, claims('admin@acme.test'))), pathParameters: null };
      expect((await authorize(event)).context).toEqual({ email: 'admin@acme.test', role: 'none' });
      expect(lookups).toEqual([]);
    });
  });

  describe('401 (throws Unauthorized)', () => {
    const cases: Array<[string, () => Promise<string | undefined>]> = [
      ['no Authorization header', async () => undefined],
      ['an expired token', () => sign(trusted, claims('admin@acme.test'), { expiresIn: '-1m' })],
      ['a token from another issuer', () => sign(trusted, claims('admin@acme.test'), { issuer: 'https://evil.test/pool' })],
      ['a token for another audience', () => sign(trusted, claims('admin@acme.test'), { audience: 'another-client' })],
      ['a token signed by another key pair', () => sign(stranger, claims('admin@acme.test'))],
      ['a token without email', () => sign(trusted, { email_verified: true })],
      ['a token whose email is not verified', () => sign(trusted, { email: 'admin@acme.test', email_verified: false })],
      ['a token whose email_verified is the string "true"', () => sign(trusted, { email: 'admin@acme.test', email_verified: 'true' })],
      [
        'an unsigned token',
        async () =>
          `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims('admin@acme.test'), iss: ISSUER, aud: AUDIENCE, exp: 4102444800 })).toString('base64url')}.`,
      ],
      ['garbage', async () => 'not.a.jwt'],
      ['a token issued in the future (iat 2 min ahead)', () => sign(trusted, claims('admin@acme.test'), { issuedIn: 120 })],
      ['a token issued in the far future', () => sign(trusted, claims('admin@acme.test'), { issuedIn: 365 * 24 * 3600, expiresIn: '2y' })],
      ['a token without iat', () => sign(trusted, claims('admin@acme.test'), { issuedIn: null })],
      ['a token not valid before 2 min from now', () => sign(trusted, claims('admin@acme.test'), { notBeforeIn: 120 })],
      ['a token expired 2 min ago', () => sign(trusted, claims('admin@acme.test'), { expiresIn: '-2m' })],
      ['a Cognito access token (token_use "access")', () => sign(trusted, { ...claims('admin@acme.test'), token_use: 'access' })],
      ['a token whose token_use is not "id"', () => sign(trusted, { ...claims('admin@acme.test'), token_use: 'ID' })],
      ['a token whose token_use is not a string', () => sign(trusted, { ...claims('admin@acme.test'), token_use: ['id'] })],
    ];

    it.each(cases)('rejects %s', async (_name, token) => {
      await expect(authorize(eventFor(await token()))).rejects.toThrow(/^Unauthorized$/);
      expect(lookups).toEqual([]);
    });

    it('rejects a tampered payload', async () => {
      const [header, , signature] = (await sign(trusted, claims('dev@acme.test'))).split('.');
      const forged = Buffer.from(JSON.stringify({ ...claims('admin@acme.test'), iss: ISSUER, aud: AUDIENCE, exp: 4102444800 })).toString(
        'base64url',
      );
      await expect(authorize(eventFor(`${header}.${forged}.${signature}`))).rejects.toThrow(/^Unauthorized$/);
    });

    it('rejects a non-Bearer Authorization header', async () => {
      const event = authorizerEvent({
        resource: KEYS_PATH,
        pathParameters: { organization_id: 'acme' },
        headers: { Authorization: `Basic ${await sign(trusted, claims('admin@acme.test'))}` },
      });
      await expect(authorize(event)).rejects.toThrow(/^Unauthorized$/);
    });
  });
});
