import { type Mode, modeFromMethod } from './permissions';

/**
 * The protected API's route table (API.md §1), defined once: the CDK attaches the authorizer to
 * these routes, the authorizer looks up resource/mode/usage here, and the local gateway serves them.
 */
export interface RouteDefinition {
  /** HTTP method, upper case. */
  method: string;
  /** API Gateway resource path template, e.g. `/v1/customers/{id}`. */
  path: string;
  resource: string;
  mode: Mode;
  /** Whether a request updates the key's `last_used_at` (ingestion routes do not). */
  tracksUsage: boolean;
}

function route(method: string, path: string, resource: string, tracksUsage = true): RouteDefinition {
  return { method, path, resource, mode: modeFromMethod(method), tracksUsage };
}

export const EXAMPLE_ROUTES: readonly RouteDefinition[] = [
  route('GET', '/v1/customers', 'customer'),
  route('GET', '/v1/customers/{id}', 'customer'),
  route('POST', '/v1/customers', 'customer'),
  route('DELETE', '/v1/customers/{id}', 'customer'),
  route('GET', '/v1/invoices', 'invoice'),
  route('GET', '/v1/invoices/{id}', 'invoice'),
  route('GET', '/v1/plans', 'plan'),
  route('POST', '/v1/plans', 'plan'),
  route('GET', '/v1/wallets', 'wallet'),
  route('POST', '/v1/events', 'event', false),
  route('POST', '/v1/events/batch', 'event', false),
  route('GET', '/v1/events/{id}', 'event'),
];

export type RouteTable = ReadonlyMap<string, RouteDefinition>;

/** The compact form a route table travels in (the authorizer's `ROUTE_TABLE` variable). */
export type SerializedRoute = [method: string, path: string, resource: string, tracksUsage: boolean];

export function serializeRoutes(routes: readonly RouteDefinition[]): string {
  return JSON.stringify(routes.map((r): SerializedRoute => [r.method, r.path, r.resource, r.tracksUsage]));
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Parses `serializeRoutes` output, so a platform can run the authorizer on its own API's routes.
 * Checked by hand: the authorizer's bundle stays free of a validation library.
 */
export function parseRoutes(raw: string): RouteDefinition[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('route table is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('route table must be a non-empty array');
  const routes = parsed.map((entry: unknown, index) => {
    const [method, path, resource, tracksUsage] = Array.isArray(entry) ? entry : [];
    if (
      typeof method !== 'string' ||
      !METHODS.has(method) ||
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      typeof resource !== 'string' ||
      resource === '' ||
      typeof tracksUsage !== 'boolean'
    ) {
      throw new Error(`route table entry ${index} must be [METHOD, "/path", "resource", tracksUsage]`);
    }
    return route(method, path, resource, tracksUsage);
  });
  buildRouteTable(routes);
  return routes;
}

function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** Indexes routes by `METHOD /path/{template}` (API Gateway gives the authorizer both). */
export function buildRouteTable(routes: readonly RouteDefinition[]): RouteTable {
  const table = new Map<string, RouteDefinition>();
  for (const definition of routes) {
    const key = routeKey(definition.method, definition.path);
    if (table.has(key)) throw new Error(`duplicate route ${key}`);
    table.set(key, definition);
  }
  return table;
}

/** The route for a method and resource template, or undefined (then the request is denied). */
export function findRoute(table: RouteTable, method: string, pathTemplate: string): RouteDefinition | undefined {
  return table.get(routeKey(method, pathTemplate));
}

/**
 * A path segment with its percent-encoding decoded, or undefined when the segment is not valid
 * percent-encoding (`%ZZ`, a cut-off `%4`, bytes that are not UTF-8), which API Gateway refuses
 * with 400 `invalid_path` (API.md §1) before any authorizer or handler runs.
 */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** What `matchPath` answers for a path of the template's shape whose parameter is not valid percent-encoding. */
export const INVALID_PATH_ENCODING = Symbol('invalid path encoding');

/**
 * Matches a concrete path (`/v1/customers/42`) to a template (`/v1/customers/{id}`), returning
 * the path parameters as sent (still percent-encoded, as API Gateway REST passes them: `c%2042`),
 * undefined when the path does not match, or INVALID_PATH_ENCODING when it matches but a parameter
 * is not valid percent-encoding (answer 400 `invalid_path`). Never throws. Used by the local
 * gateway, which has no API Gateway router.
 */
export function matchPath(template: string, path: string): Record<string, string> | typeof INVALID_PATH_ENCODING | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const raw = new Map<string, string>();
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (got[i] === '') return undefined;
      raw.set(segment.slice(1, -1), got[i]!);
    } else if (segment !== got[i]) {
      return undefined;
    }
  }
  // Checked only once the shape matched, so a bad encoding in a path of another shape stays "no match".
  const params: Record<string, string> = {};
  for (const [name, value] of raw) {
    if (decodePathSegment(value) === undefined) return INVALID_PATH_ENCODING;
    params[name] = value;
  }
  return params;
}
