import { STATUS_CODES } from 'node:http';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { GATEWAY_RESPONSE_TYPES, renderGatewayResponse } from '../../lambdas/http/gateway-responses';
import { DEFAULT_CONSUMER_API_THROTTLE, DEFAULT_MANAGEMENT_API_THROTTLE } from '../../lib/config';
import { synthKeyward } from './synth';
import { functionProps, resourcesOf } from './template-helpers';

let dev: Template;
beforeAll(() => {
  dev = synthKeyward().template;
});

/** The logical id of the REST API whose id starts with `prefix` (`Management`, `Example`). */
const apiId = (template: Template, prefix: string) =>
  Object.keys(resourcesOf(template, 'AWS::ApiGateway::RestApi')).find((id) => id.startsWith(prefix))!;

describe.each([
  ['management', 'Management'],
  ['example protected', 'Example'],
])('the %s API', (_name, prefix) => {
  it("answers every gateway response type in the contract's shape, as JSON", () => {
    const responses = Object.values(resourcesOf(dev, 'AWS::ApiGateway::GatewayResponse'))
      .map((resource) => resource.Properties!)
      .filter((properties) => JSON.stringify(properties.RestApiId) === JSON.stringify({ Ref: apiId(dev, prefix) }));

    expect(responses.map((response) => response.ResponseType).sort()).toEqual([...GATEWAY_RESPONSE_TYPES].sort());
    for (const response of responses) {
      const status = Number(response.StatusCode);
      // JSON; the management API's answers also let the console's origin read them (admin-console.test.ts).
      expect(response.ResponseParameters).toMatchObject({ 'gatewayresponse.header.Content-Type': "'application/json'" });
      const extra = Object.keys(response.ResponseParameters as object).filter((name) => name !== 'gatewayresponse.header.Content-Type');
      expect(extra.sort()).toEqual(
        prefix === 'Management' ? ['gatewayresponse.header.Access-Control-Allow-Origin', 'gatewayresponse.header.Vary'] : [],
      );
      const body = renderGatewayResponse((response.ResponseTemplates as Record<string, string>)['application/json']!, {
        code: 'write_action_not_allowed_for_customer',
      }) as Record<string, unknown>;
      expect(body.status).toBe(status);
      expect(body.error).toBe(STATUS_CODES[status]);
      // API.md §1: a 401 is `{"status":401,"error":"Unauthorized"}`; every other answer names its code.
      if (status === 401) expect(Object.keys(body).sort()).toEqual(['error', 'status']);
      else expect(body.code).toEqual(expect.stringMatching(/^[a-z_]+$/));
    }
  });

  it("creates its gateway responses one after the other, so API Gateway's control plane does not throttle the deploy", () => {
    const responses = Object.entries(resourcesOf(dev, 'AWS::ApiGateway::GatewayResponse')).filter(
      ([, resource]) => JSON.stringify(resource.Properties!.RestApiId) === JSON.stringify({ Ref: apiId(dev, prefix) }),
    );
    const ids = new Set(responses.map(([id]) => id));
    const dependsOn = (id: string) =>
      [(dev.toJSON().Resources[id] as { DependsOn?: string | string[] }).DependsOn ?? []].flat().filter((other) => ids.has(other));

    // A chain: one response waits for none, every other for exactly one, and none is waited for twice.
    const waits = responses.map(([id]) => dependsOn(id));
    expect(waits.filter((wait) => wait.length === 0)).toHaveLength(1);
    expect(waits.every((wait) => wait.length <= 1)).toBe(true);
    expect(new Set(waits.flat()).size).toBe(responses.length - 1);
  });

  it('gives the throttled, too large and timed out answers their API.md codes', () => {
    for (const [type, status, code] of [
      ['THROTTLED', '429', 'throttled'],
      ['QUOTA_EXCEEDED', '429', 'quota_exceeded'],
      ['REQUEST_TOO_LARGE', '413', 'request_too_large'],
      ['INTEGRATION_TIMEOUT', '504', 'timeout'],
      ['DEFAULT_4XX', '400', 'bad_request'],
      ['DEFAULT_5XX', '502', 'internal_error'],
    ]) {
      dev.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        RestApiId: { Ref: apiId(dev, prefix) },
        ResponseType: type,
        StatusCode: status,
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`"code":"${code}"`) },
      });
    }
  });
});

/** The stage-wide method setting (`/*` `*`) of the stage of the API whose id starts with `prefix`. */
function stageThrottle(template: Template, prefix: string): { rateLimit: unknown; burstLimit: unknown } {
  const stage = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).find(
    (resource) => JSON.stringify(resource.Properties!.RestApiId) === JSON.stringify({ Ref: apiId(template, prefix) }),
  )!;
  const settings = (stage.Properties!.MethodSettings as Record<string, unknown>[]).find(
    (setting) => setting.HttpMethod === '*' && setting.ResourcePath === '/*',
  )!;
  return { rateLimit: settings.ThrottlingRateLimit, burstLimit: settings.ThrottlingBurstLimit };
}

describe('throttling', () => {
  it('limits each API at its stage, the management API far below the consumer API', () => {
    expect(stageThrottle(dev, 'Example')).toEqual(DEFAULT_CONSUMER_API_THROTTLE);
    expect(stageThrottle(dev, 'Management')).toEqual(DEFAULT_MANAGEMENT_API_THROTTLE);
    expect(DEFAULT_MANAGEMENT_API_THROTTLE.rateLimit).toBeLessThan(DEFAULT_CONSUMER_API_THROTTLE.rateLimit);
  });

  it('takes each limit from its context parameter', () => {
    const tuned = synthKeyward({
      consumerApiRateLimit: '250.5',
      consumerApiBurstLimit: '500',
      managementApiRateLimit: '5',
      managementApiBurstLimit: '10',
    }).template;

    expect(stageThrottle(tuned, 'Example')).toEqual({ rateLimit: 250.5, burstLimit: 500 });
    expect(stageThrottle(tuned, 'Management')).toEqual({ rateLimit: 5, burstLimit: 10 });
  });
});

describe('unauthenticated floods on the protected API', () => {
  const exampleAuthorizer = (template: Template) =>
    Object.entries(resourcesOf(template, 'AWS::ApiGateway::Authorizer')).find(([id]) => id.startsWith('Example'))![1].Properties!;

  it('invoke the authorizer by default, which keeps the Bearer fallback of API.md §1', () => {
    expect(exampleAuthorizer(dev)).toMatchObject({ IdentitySource: '', AuthorizerResultTtlInSeconds: 0 });
  });

  it('are answered 401 by API Gateway alone with apiKeyHeaderOnly, which requires x-api-key', () => {
    const headerOnly = synthKeyward({ apiKeyHeaderOnly: 'true' }).template;

    expect(exampleAuthorizer(headerOnly)).toMatchObject({
      IdentitySource: 'method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('cannot take more than the reserved concurrency of the authorizer (100 by default, none with 0), and no other function is capped', () => {
    const capped = (template: Template) =>
      Object.values(resourcesOf(template, 'AWS::Lambda::Function'))
        .filter((fn) => fn.Properties!.ReservedConcurrentExecutions !== undefined)
        .map((fn) => [fn.Properties!.FunctionName, fn.Properties!.ReservedConcurrentExecutions]);

    expect(capped(dev)).toEqual([['keyward-dev-api-key-authorizer', 100]]);
    expect(capped(synthKeyward({ authorizerReservedConcurrency: '250' }).template)).toEqual([['keyward-dev-api-key-authorizer', 250]]);
    expect(
      functionProps(synthKeyward({ authorizerReservedConcurrency: '0' }).template, 'keyward-dev-api-key-authorizer'),
    ).not.toHaveProperty('ReservedConcurrentExecutions');
  });
});
