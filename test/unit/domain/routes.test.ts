import {
  buildRouteTable,
  decodePathSegment,
  EXAMPLE_ROUTES,
  findRoute,
  INVALID_PATH_ENCODING,
  matchPath,
  parseRoutes,
  type RouteDefinition,
  serializeRoutes,
} from '../../../lambdas/domain/routes';
import { encodeRouteTable, routesConfig } from '../../../lambdas/runtime/config';

describe('route table (API.md §1)', () => {
  const table = buildRouteTable(EXAMPLE_ROUTES);

  it.each([
    ['GET', '/v1/customers', 'customer', 'read', true],
    ['GET', '/v1/customers/{id}', 'customer', 'read', true],
    ['POST', '/v1/customers', 'customer', 'write', true],
    ['DELETE', '/v1/customers/{id}', 'customer', 'write', true],
    ['GET', '/v1/invoices', 'invoice', 'read', true],
    ['GET', '/v1/invoices/{id}', 'invoice', 'read', true],
    ['GET', '/v1/plans', 'plan', 'read', true],
    ['POST', '/v1/plans', 'plan', 'write', true],
    ['GET', '/v1/wallets', 'wallet', 'read', true],
    ['POST', '/v1/events', 'event', 'write', false],
    ['POST', '/v1/events/batch', 'event', 'write', false],
    ['GET', '/v1/events/{id}', 'event', 'read', true],
  ])('%s %s → %s %s, tracks usage: %s', (method, path, resource, mode, tracksUsage) => {
    expect(findRoute(table, method, path)).toEqual({ method, path, resource, mode, tracksUsage });
  });

  it('has exactly the routes of the contract, and none other', () => {
    expect(EXAMPLE_ROUTES).toHaveLength(12);
    expect(findRoute(table, 'PUT', '/v1/customers/{id}')).toBeUndefined();
    expect(findRoute(table, 'GET', '/v1/customers/42')).toBeUndefined();
  });

  it('refuses duplicate routes', () => {
    expect(() => buildRouteTable([...EXAMPLE_ROUTES, EXAMPLE_ROUTES[0]!])).toThrow(/duplicate/);
  });

  it('matches concrete paths to templates', () => {
    expect(matchPath('/v1/customers/{id}', '/v1/customers/c%2042')).toEqual({ id: 'c%2042' });
    expect(matchPath('/v1/customers', '/v1/customers')).toEqual({});
    expect(matchPath('/v1/customers/{id}', '/v1/customers/')).toBeUndefined();
    expect(matchPath('/v1/customers/{id}', '/v1/customers/1/2')).toBeUndefined();
    expect(matchPath('/v1/events/{id}', '/v1/events/batch')).toEqual({ id: 'batch' });
  });

  it.each(['%ZZ', '%', '%4', 'a%2', '%E0%A4%A', '%C3%28', '%ED%A0%80'])(
    'answers INVALID_PATH_ENCODING, never throws, for a parameter that is not valid percent-encoding (%s)',
    (segment) => {
      expect(decodePathSegment(segment)).toBeUndefined();
      expect(matchPath('/v1/customers/{id}', `/v1/customers/${segment}`)).toBe(INVALID_PATH_ENCODING);
    },
  );

  it('decodes valid percent-encoding, UTF-8 included', () => {
    expect(decodePathSegment('caf%C3%A9%20%2F%25')).toBe('café /%');
    expect(decodePathSegment('plain')).toBe('plain');
  });

  it('still answers no match (undefined) for a path of another shape, whatever its encoding', () => {
    expect(matchPath('/v1/customers/{id}', '/v1/invoices/%ZZ')).toBeUndefined();
  });

  it('travels as a compact string and comes back identical', () => {
    expect(parseRoutes(serializeRoutes(EXAMPLE_ROUTES))).toEqual(EXAMPLE_ROUTES);
  });

  it.each([
    ['not json', /not JSON/],
    ['[]', /non-empty/],
    ['[["FETCH","/x","order",true]]', /entry 0/],
    ['[["GET","x","order",true]]', /entry 0/],
    ['[["GET","/x","",true]]', /entry 0/],
    ['[["GET","/x","order"]]', /entry 0/],
    ['[["GET","/x","order",true],["GET","/x","plan",true]]', /duplicate/],
  ])('refuses the route table %s', (raw, message) => {
    expect(() => parseRoutes(raw)).toThrow(message);
  });

  it('lets a deployment configure the authorizer with its own routes', () => {
    expect(routesConfig({})).toBe(EXAMPLE_ROUTES);
    expect(routesConfig({ ROUTE_TABLE: '[["POST","/orders","order",false]]' })).toEqual([
      { method: 'POST', path: '/orders', resource: 'order', mode: 'write', tracksUsage: false },
    ]);
    expect(() => routesConfig({ ROUTE_TABLE: '{}' })).toThrow(/ROUTE_TABLE/);
  });
});

describe('encodeRouteTable (ROUTE_TABLE, compressed above 1 KB)', () => {
  const many = Array.from(
    { length: 120 },
    (_, index): RouteDefinition => ({
      method: index % 2 === 0 ? 'GET' : 'POST',
      path: `/v1/things${index}/{id}`,
      resource: `thing${index}`,
      mode: index % 2 === 0 ? 'read' : 'write',
      tracksUsage: index % 3 !== 0,
    }),
  );

  it('round-trips a small table as plain JSON and a large one as br:<base64>', () => {
    expect(encodeRouteTable(EXAMPLE_ROUTES)).toBe(serializeRoutes(EXAMPLE_ROUTES));
    const encoded = encodeRouteTable(many);
    expect(encoded).toMatch(/^br:[A-Za-z0-9+/]+=*$/);
    expect(encoded.length).toBeLessThan(serializeRoutes(many).length / 3);
    expect(routesConfig({ ROUTE_TABLE: encoded })).toEqual(many);
  });

  it('refuses compressed data that is not a route table, naming the variable', () => {
    expect(() => routesConfig({ ROUTE_TABLE: 'br:bm90IGJyb3RsaQ==' })).toThrow(/ROUTE_TABLE: route table is not valid compressed data/);
  });
});
