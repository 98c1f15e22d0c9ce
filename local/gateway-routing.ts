import { EXAMPLE_ROUTES, INVALID_PATH_ENCODING, matchPath } from '../lambdas/domain/routes';
import { OPERATION_LIST } from '../lambdas/operations/manifest';

/**
 * The local gateway's routing, as API Gateway routes: the request target's path, the resource it
 * names (the most literal template wins) and the route of its method, across the two APIs that
 * share the port.
 */

/**
 * Where the management API's organization paths start: an unknown path there is the management
 * API's (404 route_not_found); so is an unknown method on any management resource (`POST /v1/me`).
 * Every other unknown path belongs to the protected API (403 route_not_allowed).
 */
const MANAGEMENT_PREFIX = '/v1/organizations';

export type Api = 'management' | 'example';

/** Which authorizer guards a route (none for a public one), and the entry file (`lambdas/<entry>.ts`) behind it. */
export interface GatewayRoute {
  api: Api;
  method: string;
  template: string;
  entry: string;
  authorizer: string | undefined;
}

const ROUTES: readonly GatewayRoute[] = [
  ...OPERATION_LIST.map((operation) => ({
    api: 'management' as const,
    method: operation.method,
    template: operation.path,
    entry: operation.entry,
    authorizer: operation.auth === 'public' ? undefined : 'admin-authorizer',
  })),
  ...EXAMPLE_ROUTES.map((route) => ({
    api: 'example' as const,
    method: route.method,
    template: route.path,
    entry: 'example-echo',
    authorizer: 'api-key-authorizer',
  })),
];

/** The parts of a request target API Gateway routes on. */
export interface Target {
  /** Still percent-encoded, dot segments resolved. */
  path: string;
  query: URLSearchParams;
}

/**
 * The request target, in origin form (`/path?query`) or absolute form (`http://host/path?query`,
 * RFC 9112 §3.2.2: the host is ignored, as API Gateway routes on the path). Anything else (`*`,
 * authority form, a URL that does not parse) is undefined. An origin-form target is never read
 * as a URL of its own, so `//host/path` stays a path.
 */
export function parseTarget(raw: string): Target | undefined {
  let url: URL;
  try {
    if (raw.startsWith('/')) url = new URL(`http://gateway${raw}`);
    else if (/^https?:\/\//i.test(raw)) url = new URL(raw);
    else return undefined;
  } catch {
    return undefined;
  }
  return { path: url.pathname, query: url.searchParams };
}

/** Whether every `%` in `path` starts a valid escape and the escapes decode as UTF-8. */
export function isValidPercentEncoding(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** A path's resource (its template, parameters and the routes of its methods), the route of `method`, and the API that answers. */
export interface Routing {
  resource: { template: string; params: Record<string, string>; routes: GatewayRoute[] } | undefined;
  route: GatewayRoute | undefined;
  api: Api;
}

export function routeRequest(method: string, path: string): Routing {
  const resource = resolveResource(path);
  const route = resource?.routes.find((candidate) => candidate.method === method);
  const api = route?.api ?? (path.startsWith(MANAGEMENT_PREFIX) || resource?.routes[0]?.api === 'management' ? 'management' : 'example');
  return { resource, route, api };
}

/** API Gateway prefers the resource with the most literal segments (`/events/batch` over `/events/{id}`). */
function resolveResource(path: string): Routing['resource'] {
  let best: { template: string; params: Record<string, string>; routes: GatewayRoute[]; variables: number } | undefined;
  for (const route of ROUTES) {
    if (best?.template === route.template) {
      best.routes.push(route);
      continue;
    }
    const params = matchPath(route.template, path);
    // Unreachable for a request: the handler answers a bad percent-encoding with 400 invalid_path
    // before routing. Treated as no match so routing alone never throws.
    if (params === undefined || params === INVALID_PATH_ENCODING) continue;
    const variables = Object.keys(params).length;
    if (!best || variables < best.variables) best = { template: route.template, params, routes: [route], variables };
  }
  return best;
}
