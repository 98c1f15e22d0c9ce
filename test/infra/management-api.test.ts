import type { Template } from 'aws-cdk-lib/assertions';
import { OPERATION_LIST } from '../../lambdas/operations/manifest';
import { fnName, PROD_CONTEXT, synthKeyward } from './synth';
import { actionsOf, environmentOf, functionId, mentions, resourcePath, resourcesOf } from './template-helpers';

/** The management API (lib/constructs/management-api.ts) and who its authorizer trusts (lib/constructs/admin-identity.ts). */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('the management API', () => {
  it('routes each operation to its own function behind the admin REQUEST authorizer with no cache', () => {
    const [authorizerId] = Object.entries(resourcesOf(dev, 'AWS::ApiGateway::Authorizer')).find(
      ([, authorizer]) => authorizer.Properties!.IdentitySource === 'method.request.header.Authorization',
    )!;
    dev.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    const methods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method'));
    for (const operation of OPERATION_LIST.filter((row) => row.auth !== 'public')) {
      const fnId = functionId(dev, fnName(operation.entry));
      const matching = methods.filter((m) => m.Properties!.HttpMethod === operation.method && mentions(m.Properties!.Integration, fnId));
      expect(matching).toHaveLength(1);
      expect(matching[0]!.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      expect(resourcePath(dev, matching[0]!.Properties!.ResourceId)).toBe(operation.path);
    }
  });

  it('serves GET /openapi.json with no authorizer, and GET /v1/me behind the admin authorizer', () => {
    const methods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method'));
    const openapi = methods.find((m) => mentions(m.Properties!.Integration, functionId(dev, fnName('get-openapi'))))!;
    expect(openapi.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'NONE' });
    expect(openapi.Properties).not.toHaveProperty('AuthorizerId');
    expect(resourcePath(dev, openapi.Properties!.ResourceId)).toBe('/openapi.json');
    const me = methods.find((m) => mentions(m.Properties!.Integration, functionId(dev, fnName('get-me'))))!;
    expect(me.Properties).toMatchObject({ HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
    expect(resourcePath(dev, me.Properties!.ResourceId)).toBe('/v1/me');
    expect(actionsOf(dev, fnName('get-me')).filter((a) => !/^(logs|xray):/.test(a))).toEqual(['dynamodb:Query']);
  });

  it('serves POST /v1/secret_scanning/github with no authorizer, told where the signing keys are (GitHub by default)', () => {
    const methods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method'));
    const report = methods.find((m) => mentions(m.Properties!.Integration, functionId(dev, fnName('report-secret-scanning'))))!;
    expect(report.Properties).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE' });
    expect(report.Properties).not.toHaveProperty('AuthorizerId');
    expect(resourcePath(dev, report.Properties!.ResourceId)).toBe('/v1/secret_scanning/github');
    expect(environmentOf(dev, fnName('report-secret-scanning'))).toMatchObject({
      SECRET_SCANNING_KEYS_URL: 'https://api.github.com/meta/public_keys/secret_scanning',
    });
    // Only the signed operation is told; the others never fetch anything.
    expect(environmentOf(dev, fnName('rotate-api-key'))).not.toHaveProperty('SECRET_SCANNING_KEYS_URL');
    const other = synthKeyward({ secretScanningKeysUrl: 'https://signer.example.test/keys' }).template;
    expect(environmentOf(other, fnName('report-secret-scanning'))).toMatchObject({
      SECRET_SCANNING_KEYS_URL: 'https://signer.example.test/keys',
    });
    // What it may do is exactly an instant rotation's: no decrypt, no Scan, no BatchWrite.
    expect(actionsOf(dev, fnName('report-secret-scanning')).filter((a) => a.startsWith('dynamodb:') || a.startsWith('kms:'))).toEqual(
      expect.not.arrayContaining(['kms:Decrypt', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']),
    );
  });

  it('answers 401, authorizer failures and undefined routes with the API.md bodies', () => {
    const managementApiId = Object.keys(resourcesOf(dev, 'AWS::ApiGateway::RestApi')).find((id) => id.startsWith('Management'))!;
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: managementApiId },
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseTemplates: { 'application/json': '{"status":401,"error":"Unauthorized"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: managementApiId },
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': '{"status":404,"error":"Not Found","code":"route_not_found"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: managementApiId },
      ResponseType: 'AUTHORIZER_FAILURE',
      StatusCode: '500',
      ResponseTemplates: { 'application/json': '{"status":500,"error":"Internal Server Error","code":"internal_error"}' },
    });
  });

  it('trusts a Cognito user pool and the ID tokens of both its app clients (console and scripts) when no external issuer is configured', () => {
    dev.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'keyward-dev-admins',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    const clients = Object.keys(resourcesOf(dev, 'AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(2);
    const env = environmentOf(dev, fnName('admin-authorizer'));
    expect(JSON.stringify(env.ADMIN_JWT_ISSUER)).toContain('https://cognito-idp.');
    for (const client of clients) expect(mentions(env.ADMIN_JWT_AUDIENCE, client)).toBe(true);
    // Cognito's claims are the authorizer's defaults.
    expect(env).not.toHaveProperty('ADMIN_EMAIL_CLAIM');
    expect(env).not.toHaveProperty('ADMIN_EMAIL_VERIFIED_CLAIM');
  });

  it('trusts the external issuer, with its claim rules, and creates no user pool when one is configured', () => {
    prod.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(environmentOf(prod, fnName('admin-authorizer', 'prod'))).toMatchObject({
      ADMIN_JWT_ISSUER: 'https://login.example.com',
      ADMIN_JWT_AUDIENCE: 'keyward-console',
      ADMIN_EMAIL_CLAIM: 'email',
      ADMIN_EMAIL_VERIFIED_CLAIM: 'email_verified',
    });
    const entra = synthKeyward({
      stage: 'prod',
      adminIssuer: 'https://login.microsoftonline.com/72f988bf/v2.0',
      adminAudience: 'keyward',
      adminEmailClaim: 'preferred_username',
      adminEmailVerifiedClaim: 'none',
    }).template;
    expect(environmentOf(entra, fnName('admin-authorizer', 'prod'))).toMatchObject({
      ADMIN_EMAIL_CLAIM: 'preferred_username',
      ADMIN_EMAIL_VERIFIED_CLAIM: 'none',
    });
  });
});
