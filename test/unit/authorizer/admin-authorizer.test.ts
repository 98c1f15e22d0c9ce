import { inspect } from 'node:util';
import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type * as AdminModule from '../../../lambdas/admin-authorizer';
import type { AdminClaimRules } from '../../../lambdas/domain/admin-claims';
import type { Member } from '../../../lambdas/domain/ports';
import { logger } from '../../../lambdas/observability/logger';
import { evaluatePolicy } from '../../../local/gateway-policy';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { documentedAuthorizerEvent } from '../../support/aws-sample-events';

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
  let trustedPublicJwk: Record<string, unknown>;
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
    trustedPublicJwk = trustedPair.publicJwk;
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
      // The route, whichever organization the path names.
      const route = event.methodArn.replace(`/organizations/${organizationId}/`, '/organizations/*/');
      expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: route }]);
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

    it('accepts a token for any of the configured audiences (the console and the scripts client)', async () => {
      const verify = admin.createJwtVerifier({
        keys: createLocalJWKSet({ keys: [trustedPublicJwk] }),
        issuer: ISSUER,
        audience: [AUDIENCE, 'keyward-scripts'],
      });
      const both = admin.createAdminAuthorizer({ store: { getMember: async () => undefined }, verify });
      for (const audience of [AUDIENCE, 'keyward-scripts']) {
        const result = await both(eventFor(await sign(trusted, claims('admin@acme.test'), { audience })));
        expect(result.context).toEqual({ email: 'admin@acme.test', role: 'none' });
      }
      await expect(both(eventFor(await sign(trusted, claims('admin@acme.test'), { audience: 'another-client' })))).rejects.toThrow(
        /^Unauthorized$/,
      );
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

  describe("the policy covers the route, as AWS's documented REQUEST event names it", () => {
    const KEY_PATH = '/v1/organizations/{organization_id}/api_keys/{api_key_id}';
    const documented = (jwt: string, pathParameters: Record<string, string>) =>
      documentedAuthorizerEvent({ method: 'DELETE', resource: KEY_PATH, pathParameters, headers: { Authorization: `Bearer ${jwt}` } });

    it('allows the route with its path parameters as wildcards', async () => {
      const event = documented(await sign(trusted, claims('admin@acme.test')), { organization_id: 'acme', api_key_id: 'key_1' });
      const result = await authorize(event);
      expect(result.policyDocument.Statement).toEqual([
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/DELETE/v1/organizations/*/api_keys/*',
        },
      ]);
      expect(evaluatePolicy(result, event.methodArn)?.allowed).toBe(true);
      expect(result.context).toEqual({ email: 'admin@acme.test', role: 'admin' });
    });

    it("keeps the policy's Resource within AWS's 512 characters whatever the ids' length", async () => {
      const event = documented(await sign(trusted, claims('admin@acme.test')), {
        organization_id: 'o'.repeat(300),
        api_key_id: 'k'.repeat(300),
      });
      expect(event.methodArn.length).toBeGreaterThan(512);
      const result = await authorize(event);
      const [statement] = result.policyDocument.Statement as Array<{ Resource: string }>;
      expect(statement!.Resource.length).toBeLessThanOrEqual(512);
      expect(evaluatePolicy(result, event.methodArn)?.allowed).toBe(true);
      expect(result.context).toEqual({ email: 'admin@acme.test', role: 'none' });
    });

    it('covers no other method and no other route', async () => {
      const result = await authorize(
        documented(await sign(trusted, claims('admin@acme.test')), { organization_id: 'acme', api_key_id: 'k' }),
      );
      const other = (method: string, resource: string, pathParameters: Record<string, string>) =>
        documentedAuthorizerEvent({ method, resource, pathParameters }).methodArn;
      expect(evaluatePolicy(result, other('GET', KEY_PATH, { organization_id: 'acme', api_key_id: 'k' }))?.allowed).toBe(false);
      expect(evaluatePolicy(result, other('DELETE', KEYS_PATH, { organization_id: 'acme' }))?.allowed).toBe(false);
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

  /**
   * ID tokens as three issuers shape them (the claims the authorizer reads; `iss`, `aud`, `exp`
   * and `iat` are set by `sign`). Entra ID sends no `email_verified` for work accounts; its
   * optional claims `email` and `xms_edov` (email domain owner verified) must be added to the app
   * registration.
   */
  describe('claims of other issuers (adminEmailClaim, adminEmailVerifiedClaim)', () => {
    const cognitoLike = {
      sub: '7f1c…',
      'cognito:username': '7f1c…',
      email: 'alice@contoso.com',
      email_verified: true,
      token_use: 'id',
      auth_time: 1,
    };
    const entraLike = {
      ver: '2.0',
      tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      oid: '00000000-0000-0000-66f3-3332eca7ea81',
      sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      name: 'Alice',
      preferred_username: 'alice@contoso.com',
      email: 'alice@contoso.com',
      xms_edov: true,
    };
    const googleLike = { azp: 'keyward', sub: '1100…', hd: 'contoso.com', email: 'alice@contoso.com', email_verified: true, name: 'Alice' };

    let output: string;
    const authorizerWith = (claims?: AdminClaimRules) =>
      admin.createAdminAuthorizer({
        store: {
          getMember: async (organizationId, email) =>
            email === 'alice@contoso.com' ? { organizationId, email, role: 'admin' } : undefined,
        },
        verify: admin.createJwtVerifier({
          keys: createLocalJWKSet({ keys: [issuerKey.publicJwk] }),
          issuer: ISSUER,
          audience: AUDIENCE,
          ...(claims ? { claims } : {}),
        }),
      });
    let issuerKey: Awaited<ReturnType<typeof keyPair>>;

    beforeAll(async () => {
      issuerKey = await keyPair('claims');
    });

    beforeEach(() => {
      output = '';
      for (const level of ['debug', 'info', 'warn', 'error'] as const) {
        jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
          output += `${level} ${inspect(args, { depth: 10, breakLength: Number.POSITIVE_INFINITY })}\n`;
        });
      }
    });

    afterEach(() => jest.restoreAllMocks());

    it.each([
      ['a Cognito-like token', cognitoLike],
      ['a Google-like token', googleLike],
    ])('accepts %s with the default rules (email, email_verified)', async (_name, claims) => {
      const result = await authorizerWith()(eventFor(await sign(issuerKey, claims)));
      expect(result.context).toEqual({ email: 'alice@contoso.com', role: 'admin' });
    });

    it('refuses an Entra-like token with the default rules, and logs which claim is missing and which claims the token has', async () => {
      const jwt = await sign(issuerKey, entraLike);

      await expect(authorizerWith()(eventFor(jwt))).rejects.toThrow(/^Unauthorized$/);

      expect(output).toMatch(/^warn .*admin token refused: a required claim is missing or not as configured/m);
      expect(output).toContain("claim: 'email_verified'");
      expect(output).toContain("problem: 'missing'");
      expect(output).toContain("'xms_edov'");
      expect(output).toContain('adminEmailVerifiedClaim');
      // Claim names only: never the token, nor a claim's value.
      expect(output).not.toContain(jwt.split('.')[1]);
      expect(output).not.toContain(jwt.split('.')[2]);
      expect(output).not.toContain('alice@contoso.com');
    });

    it('accepts an Entra-like token when the email is vouched for by xms_edov', async () => {
      const result = await authorizerWith({ email: 'email', emailVerified: 'xms_edov' })(eventFor(await sign(issuerKey, entraLike)));
      expect(result.context).toEqual({ email: 'alice@contoso.com', role: 'admin' });
    });

    it('accepts the address in preferred_username when no verification claim is required', async () => {
      const { email: _omitted, xms_edov: _alsoOmitted, ...bare } = entraLike;
      const result = await authorizerWith({ email: 'preferred_username', emailVerified: null })(eventFor(await sign(issuerKey, bare)));
      expect(result.context).toEqual({ email: 'alice@contoso.com', role: 'admin' });
    });

    it.each([
      ['without the xms_edov optional claim', { ...entraLike, xms_edov: undefined }, 'xms_edov', 'missing'],
      ['whose xms_edov is false', { ...entraLike, xms_edov: false }, 'xms_edov', 'not true'],
      ['whose xms_edov is the string "true"', { ...entraLike, xms_edov: 'true' }, 'xms_edov', 'not true'],
      ['without the email optional claim', { ...entraLike, email: undefined }, 'email', 'missing'],
      ['whose email claim is not an address', { ...entraLike, email: 'Alice' }, 'email', 'not an email address'],
    ])('refuses an Entra-like token %s under the xms_edov rules, naming the claim', async (_name, claims, claim, problem) => {
      await expect(authorizerWith({ email: 'email', emailVerified: 'xms_edov' })(eventFor(await sign(issuerKey, claims)))).rejects.toThrow(
        /^Unauthorized$/,
      );
      expect(output).toContain(`claim: '${claim}'`);
      expect(output).toContain(`problem: '${problem}'`);
    });

    it('refuses a Cognito-like token whose email is not verified, under the default rules', async () => {
      await expect(authorizerWith()(eventFor(await sign(issuerKey, { ...cognitoLike, email_verified: false })))).rejects.toThrow(
        /^Unauthorized$/,
      );
      expect(output).toContain("claim: 'email_verified'");
      expect(output).toContain("problem: 'not true'");
    });
  });
});
