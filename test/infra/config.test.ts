import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import {
  type ContextKey,
  DEFAULT_AUTHORIZER_RESERVED_CONCURRENCY,
  DEFAULT_CONSUMER_API_THROTTLE,
  DEFAULT_MANAGEMENT_API_THROTTLE,
  DEFAULT_STAGE,
  parseConfig,
} from '../../lib/config';
import { synthKeyward } from './synth';

const parse = (context: Partial<Record<ContextKey, unknown>>) => parseConfig((key) => context[key]);

describe('deployment configuration from context', () => {
  it('defaults to the dev stage, prefix kw, the Lago catalog, no cache, Cognito, no sender, the default limits and a generated table name', () => {
    expect(parse({})).toEqual({
      stage: DEFAULT_STAGE,
      isDevStage: true,
      keyPrefix: 'kw',
      resourceCatalog: DEFAULT_RESOURCE_CATALOG,
      authorizerCacheTtlSeconds: 0,
      authorizerKeyCacheMs: 0,
      consoleUrls: [],
      consumerApiThrottle: DEFAULT_CONSUMER_API_THROTTLE,
      managementApiThrottle: DEFAULT_MANAGEMENT_API_THROTTLE,
      apiKeyHeaderOnly: false,
      consumerApiTracing: false,
      accessLogFormat: 'lean',
      authorizerReservedConcurrency: DEFAULT_AUTHORIZER_RESERVED_CONCURRENCY,
      sesIdentityExists: false,
      adminInvitesFromSender: false,
      secretScanningKeysUrl: 'https://api.github.com/meta/public_keys/secret_scanning',
      manageApiGatewayAccount: false,
      exampleApi: true,
    });
  });

  it('reads every parameter, from strings as `-c` passes them', () => {
    expect(
      parse({
        stage: 'prod',
        sesSender: 'mail.example.com',
        adminIssuer: 'https://login.example.com/',
        adminAudience: 'console',
        adminJwksUrl: 'https://login.example.com/keys',
        adminEmailClaim: 'preferred_username',
        adminEmailVerifiedClaim: 'none',
        keyPrefix: 'acme',
        resourceCatalog: 'customer, invoice,customer',
        authorizerCacheTtlSeconds: '60',
        authorizerKeyCacheMs: '1000',
        consoleUrls: 'https://keys.example.com/console/, http://localhost:5173/console/',
        cognitoDomainPrefix: 'acme-keys',
        consumerApiRateLimit: '500',
        consumerApiBurstLimit: '800',
        managementApiRateLimit: '2.5',
        managementApiBurstLimit: '5',
        apiKeyHeaderOnly: 'true',
        consumerApiTracing: 'true',
        accessLogFormat: 'full',
        authorizerReservedConcurrency: '0',
        tableName: 'keyward-prod',
        sesIdentityExists: 'true',
        operatorPrincipalArn: 'arn:aws:iam::111122223333:role/keyward-operator',
        secretScanningKeysUrl: 'https://signer.example.com/public_keys/',
      }),
    ).toEqual({
      stage: 'prod',
      isDevStage: false,
      sesSender: { kind: 'domain', identity: 'mail.example.com', fromAddress: 'no-reply@mail.example.com' },
      adminIssuer: {
        issuer: 'https://login.example.com',
        audience: 'console',
        jwksUrl: 'https://login.example.com/keys',
        claims: { email: 'preferred_username', emailVerified: null },
      },
      keyPrefix: 'acme',
      resourceCatalog: ['customer', 'invoice'],
      authorizerCacheTtlSeconds: 60,
      authorizerKeyCacheMs: 1000,
      consoleUrls: ['https://keys.example.com/console/', 'http://localhost:5173/console/'],
      cognitoDomainPrefix: 'acme-keys',
      consumerApiThrottle: { rateLimit: 500, burstLimit: 800 },
      managementApiThrottle: { rateLimit: 2.5, burstLimit: 5 },
      apiKeyHeaderOnly: true,
      consumerApiTracing: true,
      accessLogFormat: 'full',
      tableName: 'keyward-prod',
      sesIdentityExists: true,
      adminInvitesFromSender: false,
      manageApiGatewayAccount: false,
      exampleApi: false,
      operatorPrincipalArn: 'arn:aws:iam::111122223333:role/keyward-operator',
      secretScanningKeysUrl: 'https://signer.example.com/public_keys',
    });
  });

  it('refuses an access log format other than lean or full', () => {
    expect(() => parse({ accessLogFormat: 'json' })).toThrow(/accessLogFormat.*"json" must be one of lean, full/);
  });

  it('refuses a secret-scanning key document that is not https', () => {
    expect(() => parse({ secretScanningKeysUrl: 'http://signer.example.com/keys' })).toThrow(/secretScanningKeysUrl.*https/);
  });

  it("reads an external issuer's claims as Cognito's unless named, and another verification claim", () => {
    const issuer = { adminIssuer: 'https://login.microsoftonline.com/72f988bf/v2.0', adminAudience: 'keyward' };
    expect(parse(issuer).adminIssuer?.claims).toEqual({ email: 'email', emailVerified: 'email_verified' });
    expect(parse({ ...issuer, adminEmailVerifiedClaim: 'xms_edov' }).adminIssuer?.claims).toEqual({
      email: 'email',
      emailVerified: 'xms_edov',
    });
  });

  it('reads a custom MAIL FROM domain of a domain sender', () => {
    expect(parse({ sesSender: 'example.com', sesMailFromDomain: 'Mail.Example.com' }).sesSender).toEqual({
      kind: 'domain',
      identity: 'example.com',
      fromAddress: 'no-reply@example.com',
      mailFromDomain: 'mail.example.com',
    });
  });

  it('sends invitations from the sender by default only when its identity exists already (Cognito refuses one not verified)', () => {
    expect(parse({ sesSender: 'example.com' }).adminInvitesFromSender).toBe(false);
    expect(parse({ sesSender: 'example.com', sesIdentityExists: 'true' }).adminInvitesFromSender).toBe(true);
    expect(parse({ sesSender: 'example.com', adminInvitesFromSender: 'true' }).adminInvitesFromSender).toBe(true);
    expect(parse({ sesSender: 'example.com', sesIdentityExists: 'true', adminInvitesFromSender: 'false' }).adminInvitesFromSender).toBe(
      false,
    );
    // An external issuer sends its own invitations.
    expect(
      parse({ sesSender: 'example.com', sesIdentityExists: 'true', adminIssuer: 'https://login.example.com', adminAudience: 'x' })
        .adminInvitesFromSender,
    ).toBe(false);
  });

  it('accepts booleans and numbers from cdk.json', () => {
    expect(
      parse({ apiKeyHeaderOnly: true, sesSender: 'example.com', sesIdentityExists: false, authorizerReservedConcurrency: 20 }),
    ).toMatchObject({
      apiKeyHeaderOnly: true,
      sesIdentityExists: false,
      authorizerReservedConcurrency: 20,
    });
  });

  it('accepts the cache TTL as a number from cdk.json and a sender address as an email identity', () => {
    expect(parse({ authorizerCacheTtlSeconds: 3600 }).authorizerCacheTtlSeconds).toBe(3600);
    expect(parse({ sesSender: 'keys@example.com' }).sesSender).toEqual({
      kind: 'email',
      identity: 'keys@example.com',
      fromAddress: 'keys@example.com',
    });
  });

  it('accepts an alarm email address, and none by default', () => {
    expect(parse({ alarmEmail: 'oncall@example.com' }).alarmEmail).toBe('oncall@example.com');
    expect(parse({})).not.toHaveProperty('alarmEmail');
  });

  it('accepts the in-function key cache as a number from cdk.json, up to 60 s', () => {
    expect(parse({ authorizerKeyCacheMs: 60_000 }).authorizerKeyCacheMs).toBe(60_000);
    expect(parse({ authorizerKeyCacheMs: 0 }).authorizerKeyCacheMs).toBe(0);
  });

  it.each<[string, Partial<Record<ContextKey, unknown>>, RegExp]>([
    ['an upper-case stage', { stage: 'Prod' }, /invalid context "stage": "Prod" must be 1-10 lower-case letters or digits/],
    ['a console URL over plain HTTP', { consoleUrls: 'http://keys.example.com/' }, /invalid context "consoleUrls": .* must be https:\/\//],
    [
      'a console URL with a fragment',
      { consoleUrls: 'https://keys.example.com/#/x' },
      /invalid context "consoleUrls": .* no query or fragment/,
    ],
    ['a reserved hosted UI prefix', { cognitoDomainPrefix: 'my-cognito' }, /invalid context "cognitoDomainPrefix"/],
    ['a stage longer than 10', { stage: 'abcdefghijk' }, /"stage"/],
    ['a stage with a dash', { stage: 'my-stage' }, /"stage"/],
    [
      'a prefix starting with a digit',
      { keyPrefix: '1kw' },
      /invalid context "keyPrefix": "1kw" must be 1-16 of a-z0-9 starting with a letter/,
    ],
    ['a prefix longer than 16', { keyPrefix: 'a'.repeat(17) }, /"keyPrefix"/],
    ['a catalog with a bad name', { resourceCatalog: 'customer,Bad-Name' }, /invalid context "resourceCatalog": .*Bad-Name/],
    ['a cache TTL over an hour', { authorizerCacheTtlSeconds: '3601' }, /invalid context "authorizerCacheTtlSeconds": must be 0-3600/],
    [
      'a cache TTL that is not a whole number',
      { authorizerCacheTtlSeconds: '5m' },
      /"authorizerCacheTtlSeconds": "5m" is not a whole number/,
    ],
    ['a negative cache TTL', { authorizerCacheTtlSeconds: -1 }, /"authorizerCacheTtlSeconds"/],
    ['a key cache over 60 s', { authorizerKeyCacheMs: '60001' }, /invalid context "authorizerKeyCacheMs": must be 0-60000, got 60001/],
    [
      'a key cache that is not a whole number',
      { authorizerKeyCacheMs: '1s' },
      /"authorizerKeyCacheMs": "1s" is not a whole number of milliseconds/,
    ],
    ['a fractional key cache', { authorizerKeyCacheMs: 1.5 }, /"authorizerKeyCacheMs"/],
    ['a negative key cache', { authorizerKeyCacheMs: -1 }, /"authorizerKeyCacheMs"/],
    ['an issuer without an audience', { adminIssuer: 'https://login.example.com' }, /"adminAudience": is required when adminIssuer is set/],
    ['an audience without an issuer', { adminAudience: 'console' }, /"adminIssuer": is required when adminAudience is set/],
    ['a plain-http issuer', { adminIssuer: 'http://login.example.com', adminAudience: 'x' }, /"adminIssuer": must be an https:\/\/ URL/],
    ['a JWKS URL without an issuer', { adminJwksUrl: 'https://login.example.com/keys' }, /"adminJwksUrl"/],
    [
      'an email claim without an external issuer (Cognito has fixed claims)',
      { adminEmailClaim: 'upn' },
      /invalid context "adminEmailClaim": is only used with adminIssuer and adminAudience/,
    ],
    ['a verification claim without an external issuer', { adminEmailVerifiedClaim: 'none' }, /"adminEmailVerifiedClaim"/],
    [
      'an email claim with a space',
      { adminIssuer: 'https://login.example.com', adminAudience: 'x', adminEmailClaim: 'e mail' },
      /invalid context "adminEmailClaim": "e mail" is not a claim name/,
    ],
    [
      'a MAIL FROM domain for an address sender',
      { sesSender: 'keys@example.com', sesMailFromDomain: 'mail.example.com' },
      /"sesMailFromDomain": is only used with a domain sesSender/,
    ],
    [
      'a MAIL FROM domain outside the sender domain',
      { sesSender: 'example.com', sesMailFromDomain: 'mail.example.org' },
      /"sesMailFromDomain": "mail.example.org" must be a subdomain of example.com/,
    ],
    ['the sender domain itself as MAIL FROM domain', { sesSender: 'example.com', sesMailFromDomain: 'example.com' }, /"sesMailFromDomain"/],
    [
      'a MAIL FROM domain for an identity that exists already',
      { sesSender: 'example.com', sesIdentityExists: 'true', sesMailFromDomain: 'mail.example.com' },
      /"sesMailFromDomain": is set on an identity this stack creates; set it on the existing identity/,
    ],
    [
      'invitations from the sender without a sender',
      { adminInvitesFromSender: 'true' },
      /invalid context "adminInvitesFromSender": is only used with sesSender/,
    ],
    [
      'invitations from the sender with an external issuer',
      { sesSender: 'example.com', adminInvitesFromSender: 'true', adminIssuer: 'https://login.example.com', adminAudience: 'x' },
      /invalid context "adminInvitesFromSender": is only used with the Cognito user pool/,
    ],
    ['a sender that is neither address nor domain', { sesSender: 'not a sender' }, /invalid context "sesSender"/],
    ['a non-string value', { stage: { name: 'prod' } }, /invalid context "stage": must be a string/],
    ['an alarm email that is no address', { alarmEmail: 'oncall' }, /invalid context "alarmEmail": "oncall" is not an email address/],
    ['a zero rate limit', { consumerApiRateLimit: '0' }, /invalid context "consumerApiRateLimit": "0" must be a number of at least 0.001/],
    ['a fractional burst', { managementApiBurstLimit: '2.5' }, /invalid context "managementApiBurstLimit": "2.5" must be a whole number/],
    ['a negative reserved concurrency', { authorizerReservedConcurrency: '-1' }, /"authorizerReservedConcurrency"/],
    ['a flag that is not true or false', { apiKeyHeaderOnly: 'yes' }, /invalid context "apiKeyHeaderOnly": "yes" must be true or false/],
    ['a table name with a slash', { tableName: 'keyward/prod' }, /invalid context "tableName"/],
  ])('rejects %s with a message naming the parameter', (_name, context, message) => {
    expect(() => parse(context)).toThrow(message);
  });

  it('fails the synth itself on a bad value', () => {
    expect(() => synthKeyward({ stage: 'PROD' })).toThrow(/invalid context "stage"/);
  });

  it('treats only stages starting with dev as dev stages', () => {
    expect(parse({ stage: 'devalice' }).isDevStage).toBe(true);
    expect(parse({ stage: 'staging' }).isDevStage).toBe(false);
  });
});
