import type { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_ROUTES } from '../../lambdas/domain/routes';
import { PROD_CONTEXT, synthKeyward } from './synth';
import { resourcesOf } from './template-helpers';

/** The example protected API (lib/constructs/example-api.ts). */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('the example protected API', () => {
  it('puts every route of the route table behind the api-key authorizer', () => {
    const exampleAuthorizerId = Object.keys(resourcesOf(dev, 'AWS::ApiGateway::Authorizer')).find((id) => id.startsWith('Example'))!;
    const protectedMethods = Object.values(resourcesOf(dev, 'AWS::ApiGateway::Method')).filter(
      (m) => JSON.stringify(m.Properties!.AuthorizerId) === JSON.stringify({ Ref: exampleAuthorizerId }),
    );
    expect(protectedMethods.map((m) => m.Properties!.HttpMethod).sort()).toEqual(EXAMPLE_ROUTES.map((r) => r.method).sort());
    expect(protectedMethods.every((m) => m.Properties!.AuthorizationType === 'CUSTOM')).toBe(true);
  });

  it('has the authorizer cache off by default', () => {
    const example = Object.entries(resourcesOf(dev, 'AWS::ApiGateway::Authorizer')).find(([id]) => id.startsWith('Example'))![1];
    expect(example.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0, IdentitySource: '' });
  });

  it('caches for the opted-in TTL, keyed by key, method and route', () => {
    const example = Object.entries(resourcesOf(prod, 'AWS::ApiGateway::Authorizer')).find(([id]) => id.startsWith('Example'))![1];
    expect(example.Properties).toMatchObject({
      AuthorizerResultTtlInSeconds: 300,
      IdentitySource: 'method.request.header.x-api-key,context.httpMethod,context.resourcePath,context.identity.sourceIp',
    });
  });

  it('answers 401 and 403 with the API.md bodies, the 403 carrying the authorizer code, and denies undefined routes', () => {
    const exampleApiId = Object.keys(resourcesOf(dev, 'AWS::ApiGateway::RestApi')).find((id) => id.startsWith('Example'))!;
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: exampleApiId },
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
      ResponseTemplates: { 'application/json': '{"status":401,"error":"Unauthorized"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: exampleApiId },
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/json'" },
      ResponseTemplates: { 'application/json': '{"status":403,"error":"Forbidden","code":"$context.authorizer.code"}' },
    });
    dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: exampleApiId },
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '403',
      ResponseTemplates: { 'application/json': '{"status":403,"error":"Forbidden","code":"route_not_allowed"}' },
    });
  });
});
