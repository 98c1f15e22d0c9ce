import { createServer, type Server } from 'node:http';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet } from 'jose';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import type * as AdminModule from '../../../lambdas/admin-authorizer';
import { ManualClock } from '../../../lambdas/domain/clock';
import { createDevIssuer, type DevIssuer, JWKS_PATH, LOCAL_AUDIENCE, LOCAL_ISSUER_PATH, localIssuerUrl } from '../../../local/dev-issuer';
import { authorizerEvent, importWithEnv } from '../../support/authorizer-events';
import { createTestTable } from '../../support/dynamodb';
import { freePort } from '../../support/free-port';
import { testServices } from '../../support/services';

/**
 * The admin authorizer end to end on its real inputs: a dev-issuer JWT, the JWKS fetched over
 * HTTP the way the Lambda fetches Cognito's, and memberships in DynamoDB Local.
 */
describe('admin authorizer (dev issuer JWKS over HTTP, DynamoDB Local)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let server: Server;
  let issuer: DevIssuer;
  let authorize: AdminModule.AdminAuthorizer;
  let jwksRequests = 0;

  const eventFor = (jwt: string, organizationId = 'acme') =>
    authorizerEvent({
      method: 'POST',
      resource: '/v1/organizations/{organization_id}/api_keys',
      pathParameters: { organization_id: organizationId },
      headers: { authorization: `Bearer ${jwt}` },
    });

  beforeAll(async () => {
    table = await createTestTable();
    const port = await freePort();
    issuer = await createDevIssuer({ issuer: localIssuerUrl(port), audience: LOCAL_AUDIENCE });
    server = createServer((request, response) => {
      if (request.url === `${LOCAL_ISSUER_PATH}${JWKS_PATH}`) {
        jwksRequests++;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

    const admin = await importWithEnv(
      { TABLE_NAME: table.tableName, ADMIN_JWT_ISSUER: issuer.issuer, ADMIN_JWT_AUDIENCE: LOCAL_AUDIENCE },
      () => import('../../../lambdas/admin-authorizer'),
    );
    const store = new DynamoDbKeyStore(DynamoDBDocumentClient.from(table.client), table.tableName);
    const clock = new ManualClock();
    const { organizations } = testServices(store, clock);
    await organizations.create({ name: 'Acme', id: 'acme', admins: ['admin@acme.test'] });
    await organizations.addMember('acme', 'dev@acme.test', 'member');

    authorize = admin.createAdminAuthorizer({
      store,
      verify: admin.createJwtVerifier({
        keys: createRemoteJWKSet(new URL(`${issuer.issuer}${JWKS_PATH}`)),
        issuer: issuer.issuer,
        audience: LOCAL_AUDIENCE,
      }),
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await table.drop();
  });

  it.each([
    ['admin@acme.test', 'acme', 'admin'],
    ['dev@acme.test', 'acme', 'member'],
    ['stranger@else.test', 'acme', 'none'],
    ['admin@acme.test', 'globex', 'none'],
  ])('allows %s in %s with role %s', async (email, organizationId, role) => {
    const event = eventFor(await issuer.mint({ email }), organizationId);
    const result = await authorize(event);
    // The route, whichever organization the path names.
    const route = event.methodArn.replace(`/organizations/${organizationId}/`, '/organizations/*/');
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: route }]);
    expect(result.context).toEqual({ email, role });
  });

  it('fetches the JWKS from the issuer and caches it across requests', async () => {
    await authorize(eventFor(await issuer.mint({ email: 'admin@acme.test' })));
    const afterFirst = jwksRequests;
    await authorize(eventFor(await issuer.mint({ email: 'admin@acme.test' })));
    await authorize(eventFor(await issuer.mint({ email: 'dev@acme.test' })));
    expect(afterFirst).toBeGreaterThanOrEqual(1);
    expect(jwksRequests).toBe(afterFirst);
  });

  it('rejects a token from another dev issuer with the same iss and aud', async () => {
    const impostor = await createDevIssuer({ issuer: issuer.issuer, audience: LOCAL_AUDIENCE });
    await expect(authorize(eventFor(await impostor.mint({ email: 'admin@acme.test' })))).rejects.toThrow(/^Unauthorized$/);
  });

  it('rejects a dev token expired for longer than the clock tolerance', async () => {
    await expect(authorize(eventFor(await issuer.mint({ email: 'admin@acme.test', expiresIn: '-61s' })))).rejects.toThrow(/^Unauthorized$/);
  });

  it('rejects a dev token whose email is not verified', async () => {
    await expect(authorize(eventFor(await issuer.mint({ email: 'admin@acme.test', emailVerified: false })))).rejects.toThrow(
      /^Unauthorized$/,
    );
  });
});
