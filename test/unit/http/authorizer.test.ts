import { routeArn } from '../../../lambdas/http/authorizer';

describe('routeArn', () => {
  const api = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

  it.each([
    ['/v1/customers', `${api}/GET/v1/customers`, `${api}/GET/v1/customers`],
    ['/v1/customers/{id}', `${api}/GET/v1/customers/42`, `${api}/GET/v1/customers/*`],
    ['/v1/customers/{id}', `${api}/DELETE/v1/customers/c%2F42`, `${api}/DELETE/v1/customers/*`],
    ['/v1/orgs/{org}/keys/{key}', `${api}/PATCH/v1/orgs/a/keys/b`, `${api}/PATCH/v1/orgs/*/keys/*`],
    ['/{proxy+}', `${api}/POST/hello/world`, `${api}/POST/*`],
  ])('scopes %s (%s) to the route', (resource, methodArn, expected) => {
    expect(routeArn(methodArn, resource)).toBe(expected);
  });

  it('does not grow with the path parameters', () => {
    expect(routeArn(`${api}/GET/v1/customers/${'x'.repeat(2000)}`, '/v1/customers/{id}')).toBe(`${api}/GET/v1/customers/*`);
  });
});
