import { handler } from '../../../lambdas/example-echo';
import { proxyEvent } from '../../support/authorizer-events';

describe('example echo backend', () => {
  const authorizer = { organization_id: 'acme', api_key_id: 'key-1', principalId: 'key-1' };

  it.each([
    ['GET', '/v1/customers/{id}', 'customer', 'read'],
    ['DELETE', '/v1/customers/{id}', 'customer', 'write'],
    ['POST', '/v1/events/batch', 'event', 'write'],
  ])('echoes the authorizer context with the resource and mode of %s %s', async (method, resource, expectedResource, mode) => {
    const result = await handler(proxyEvent({ method, resource, pathParameters: { id: '42' }, authorizer }));
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(JSON.parse(result.body)).toEqual({ organization_id: 'acme', api_key_id: 'key-1', resource: expectedResource, mode });
  });

  it('refuses to answer without an authorizer context', async () => {
    const result = await handler(proxyEvent({ method: 'GET', resource: '/v1/customers', authorizer: null }));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({ status: 401, error: 'Unauthorized' });
  });

  it('answers 404 for a route outside the route table', async () => {
    const result = await handler(proxyEvent({ method: 'PUT', resource: '/v1/customers', authorizer }));
    expect(result.statusCode).toBe(404);
  });
});
