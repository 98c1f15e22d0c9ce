import { GATEWAY_RESPONSES, renderGatewayResponse } from '../../../lambdas/http/gateway-responses';

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
});
