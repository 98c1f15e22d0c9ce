import { STATUS_CODES } from 'node:http';
import {
  defaultGatewayResponse,
  GATEWAY_RESPONSE_TYPES,
  GATEWAY_RESPONSES,
  gatewayResponsesFor,
  renderGatewayResponse,
} from '../../../lambdas/http/gateway-responses';

describe('gateway responses', () => {
  it('are the exact API.md bodies', () => {
    expect(renderGatewayResponse(GATEWAY_RESPONSES.unauthorized.body)).toEqual({ status: 401, error: 'Unauthorized' });
    expect(GATEWAY_RESPONSES.unauthorized.status).toBe(401);
    expect(GATEWAY_RESPONSES.accessDenied.status).toBe(403);
  });

  it('fill the 403 code from the authorizer context, as API Gateway substitutes $context.authorizer', () => {
    expect(renderGatewayResponse(GATEWAY_RESPONSES.accessDenied.body, { code: 'write_action_not_allowed_for_customer' })).toEqual({
      status: 403,
      error: 'Forbidden',
      code: 'write_action_not_allowed_for_customer',
    });
    expect(renderGatewayResponse(GATEWAY_RESPONSES.accessDenied.body, {})).toEqual({ status: 403, error: 'Forbidden' });
  });

  it.each(Object.entries(GATEWAY_RESPONSES))('%s has the contract shape: its own status and the reason phrase', (_name, response) => {
    const body = renderGatewayResponse(response.body, { code: 'some_code' }) as Record<string, unknown>;
    expect(body.status).toBe(response.status);
    expect(body.error).toBe(STATUS_CODES[response.status]);
  });

  it('give any other 4xx the code bad_request and any other 5xx internal_error, keeping the status', () => {
    expect(renderGatewayResponse(defaultGatewayResponse(431).body)).toEqual({
      status: 431,
      error: 'Request Header Fields Too Large',
      code: 'bad_request',
    });
    expect(defaultGatewayResponse(431).status).toBe(431);
    expect(renderGatewayResponse(defaultGatewayResponse(400).body)).toEqual({ status: 400, error: 'Bad Request', code: 'bad_request' });
    expect(renderGatewayResponse(defaultGatewayResponse(503).body)).toEqual({
      status: 503,
      error: 'Service Unavailable',
      code: 'internal_error',
    });
  });

  it.each(['management', 'protected'] as const)(
    'cover every API Gateway response type on the %s API, each in the contract shape',
    (kind) => {
      const answers = gatewayResponsesFor(kind);

      expect(Object.keys(answers).sort()).toEqual([...GATEWAY_RESPONSE_TYPES].sort());
      for (const answer of Object.values(answers)) {
        const body = renderGatewayResponse(answer.body, { code: 'read_action_not_allowed_for_plan' }) as Record<string, unknown>;
        expect(body).toMatchObject({ status: answer.status, error: STATUS_CODES[answer.status] });
        if (answer.status !== 401) expect(body.code).toEqual(expect.any(String));
      }
    },
  );

  it('give throttling, quota and the undefined route the codes API.md names, per API', () => {
    const management = gatewayResponsesFor('management');
    const consumer = gatewayResponsesFor('protected');

    expect(renderGatewayResponse(consumer.THROTTLED.body)).toEqual({ status: 429, error: 'Too Many Requests', code: 'throttled' });
    expect(renderGatewayResponse(consumer.QUOTA_EXCEEDED.body)).toEqual({
      status: 429,
      error: 'Too Many Requests',
      code: 'quota_exceeded',
    });
    expect(renderGatewayResponse(consumer.MISSING_AUTHENTICATION_TOKEN.body)).toMatchObject({ status: 403, code: 'route_not_allowed' });
    expect(renderGatewayResponse(management.MISSING_AUTHENTICATION_TOKEN.body)).toMatchObject({ status: 404, code: 'route_not_found' });
    expect(renderGatewayResponse(management.UNSUPPORTED_MEDIA_TYPE.body)).toEqual({
      status: 415,
      error: 'Unsupported Media Type',
      code: 'bad_request',
    });
  });
});
