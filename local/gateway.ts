import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult, Context } from 'aws-lambda';
import { keyConfig } from '../lambdas/config';
import { EXAMPLE_ROUTES, INVALID_PATH_ENCODING, matchPath } from '../lambdas/domain/routes';
import { GATEWAY_RESPONSES, renderGatewayResponse } from '../lambdas/http/gateway-responses';
import { openApiDocument } from '../lambdas/http/openapi';
import { MANAGEMENT_ROUTES } from '../lambdas/management-api';
import { authorizerEvent, LOCAL_API, lambdaContext, proxyEvent, type RequestInput, rawHeaderPairs } from './api-gateway-events';

/**
 * A local stand-in for API Gateway (REST, v1) serving two APIs on one port, so the real handlers
 * run unchanged: the management API behind the admin authorizer, and the example protected API
 * behind the api-key authorizer. Each request gets a real REQUEST-authorizer event, the result is
 * applied as API Gateway applies it, and an allowed request gets a real proxy event.
 *
 * Every answer API Gateway gives itself (401, 403, authorizer failure, unknown route) uses the
 * gateway responses the CDK stack configures (`lambdas/http/gateway-responses.ts`). Both APIs share
 * this one port, so an unknown route under `/v1/organizations` is the management API's.
 */

/** API Gateway's hard payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Where the management API's paths start; everything else belongs to the protected API. */
const MANAGEMENT_PREFIX = '/v1/organizations';

type Json = Record<string, unknown>;
type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Which authorizer guards a route, and the entry file (`lambdas/<entry>.ts`) behind it. */
interface GatewayRoute {
  api: 'management' | 'example';
  method: string;
  template: string;
  entry: string;
  authorizer: string;
}

const ROUTES: readonly GatewayRoute[] = [
  ...MANAGEMENT_ROUTES.map((route) => ({
    api: 'management' as const,
    method: route.method,
    template: route.path,
    entry: route.entry,
    authorizer: 'admin-authorizer',
  })),
  ...EXAMPLE_ROUTES.map((route) => ({
    api: 'example' as const,
    method: route.method,
    template: route.path,
    entry: 'example-echo',
    authorizer: 'api-key-authorizer',
  })),
];

export interface GatewayOptions {
  port: number;
  host?: string;
  /** The dev issuer's public keys, served at `/local-issuer/.well-known/jwks.json`. */
  jwks: () => Promise<unknown> | unknown;
  /** Whether every component is up (`GET /health` answers 503 until then). */
  isReady: () => boolean;
  log: (line: string) => void;
  /** Directory of the entry files; defaults to this repository's `lambdas/`. */
  lambdasDir?: string;
}

export interface Gateway {
  url: string;
  server: Server;
  /** Stops accepting connections and waits for in-flight requests. */
  close(): Promise<void>;
}

class PayloadTooLargeError extends Error {}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_PAYLOAD_BYTES) return reject(new PayloadTooLargeError());
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new PayloadTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** API Gateway prefers the resource with the most literal segments (`/events/batch` over `/events/{id}`). */
function resolveResource(path: string): { template: string; params: Record<string, string>; routes: GatewayRoute[] } | undefined {
  let best: { template: string; params: Record<string, string>; routes: GatewayRoute[]; variables: number } | undefined;
  for (const route of ROUTES) {
    if (best?.template === route.template) {
      best.routes.push(route);
      continue;
    }
    const params = matchPath(route.template, path);
    // A parameter that is not valid percent-encoding matches no route here; answering it with
    // 400 invalid_path, as API Gateway does, is the request handler's job (issue 7 item 3).
    if (params === undefined || params === INVALID_PATH_ENCODING) continue;
    const variables = Object.keys(params).length;
    if (!best || variables < best.variables) best = { template: route.template, params, routes: [route], variables };
  }
  return best;
}

function wildcardMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Evaluates the authorizer's policy for `methodArn` as IAM does: an explicit Deny wins, otherwise
 * an Allow is needed. Returns undefined when the result is not a valid authorizer result.
 */
function evaluatePolicy(result: unknown, methodArn: string): { allowed: boolean; context: Json; principalId: string } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { principalId, policyDocument, context } = result as Partial<APIGatewayAuthorizerResult>;
  if (typeof principalId !== 'string' || !policyDocument || !Array.isArray(policyDocument.Statement)) return undefined;
  if (context !== undefined && context !== null) {
    // API Gateway rejects context values that are not string, number or boolean.
    const primitive = Object.values(context).every((value) => ['string', 'number', 'boolean'].includes(typeof value));
    if (typeof context !== 'object' || !primitive) return undefined;
  }
  let allowed = false;
  for (const statement of policyDocument.Statement) {
    const raw = statement as { Effect?: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = asList(raw.Action);
    const resources = asList(raw.Resource);
    const invokes = actions.some((action) => wildcardMatches(action, 'execute-api:Invoke'));
    const covers = resources.some((resource) => wildcardMatches(resource, methodArn));
    if (!invokes || !covers) continue;
    if (raw.Effect === 'Deny') return { allowed: false, context: context ?? {}, principalId };
    if (raw.Effect === 'Allow') allowed = true;
  }
  return { allowed, context: context ?? {}, principalId };
}

export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const lambdasDir = options.lambdasDir ?? join(__dirname, '..', 'lambdas');
  const modules = new Map<string, Promise<AnyHandler>>();

  /** Entry modules are loaded once, on first use, after the runtime has set their environment. */
  function handlerFor(entry: string): Promise<AnyHandler> {
    let loaded = modules.get(entry);
    if (!loaded) {
      loaded = import(join(lambdasDir, entry)).then((module: { handler?: AnyHandler; default?: { handler?: AnyHandler } }) => {
        const handler = module.handler ?? module.default?.handler;
        if (typeof handler !== 'function') throw new Error(`lambdas/${entry} does not export a handler`);
        return handler;
      });
      modules.set(entry, loaded);
      loaded.catch(() => modules.delete(entry));
    }
    return loaded;
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
    return status;
  }

  function gatewayResponse(
    response: ServerResponse,
    gatewayAnswer: { status: number; body: string },
    context: Record<string, unknown> = {},
  ): number {
    return send(response, gatewayAnswer.status, renderGatewayResponse(gatewayAnswer.body, context));
  }

  function writeProxyResult(response: ServerResponse, result: unknown): number {
    const proxy = result as Partial<APIGatewayProxyResult> | null;
    if (typeof proxy !== 'object' || proxy === null || typeof proxy.statusCode !== 'number') {
      // What API Gateway answers for a malformed Lambda proxy response.
      return send(response, 502, { message: 'Internal server error' });
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(proxy.multiValueHeaders ?? {})) headers[name.toLowerCase()] = value.map(String);
    for (const [name, value] of Object.entries(proxy.headers ?? {})) headers[name.toLowerCase()] = String(value);
    const body = proxy.body === undefined || proxy.body === null ? '' : proxy.body;
    const payload = proxy.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
    response.writeHead(proxy.statusCode, headers);
    response.end(payload);
    return proxy.statusCode;
  }

  async function dispatch(request: IncomingMessage, response: ServerResponse, url: URL, requestId: string): Promise<number> {
    const method = (request.method ?? 'GET').toUpperCase();
    const path = url.pathname;

    if (method === 'GET' && path === '/health') {
      return options.isReady() ? send(response, 200, { status: 'ok' }) : send(response, 503, { status: 'starting' });
    }
    if (method === 'GET' && path === '/local-issuer/.well-known/jwks.json') {
      return send(response, 200, await options.jwks(), { 'cache-control': 'max-age=60' });
    }
    if (method === 'GET' && path === '/openapi.json') {
      return send(response, 200, openApiDocument(keyConfig().catalog));
    }

    const resource = resolveResource(path);
    const route = resource?.routes.find((candidate) => candidate.method === method);
    if (!resource || !route) {
      return gatewayResponse(
        response,
        path.startsWith(MANAGEMENT_PREFIX) ? GATEWAY_RESPONSES.managementRouteNotFound : GATEWAY_RESPONSES.protectedRouteNotFound,
      );
    }

    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        return send(response, 413, { message: 'Request Too Long' }, { connection: 'close' });
      }
      throw error;
    }

    const input: RequestInput = {
      method,
      resource: route.template,
      path,
      pathParameters: resource.params,
      headers: rawHeaderPairs(request.rawHeaders),
      query: url.searchParams,
      api: LOCAL_API,
      requestId,
      requestTime: new Date(),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: request.headers['user-agent'] ?? null,
      domainName: request.headers.host ?? '127.0.0.1',
      protocol: `HTTP/${request.httpVersion}`,
    };
    const authorization = authorizerEvent(input);

    let decision: ReturnType<typeof evaluatePolicy>;
    try {
      const authorize = await handlerFor(route.authorizer);
      decision = evaluatePolicy(await authorize(authorization, lambdaContext(route.authorizer)), authorization.methodArn);
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') {
        return gatewayResponse(response, GATEWAY_RESPONSES.unauthorized);
      }
      options.log(`authorizer ${route.authorizer} failed: ${error instanceof Error ? error.message : String(error)}`);
      decision = undefined;
    }
    if (!decision) {
      // API Gateway's AUTHORIZER_FAILURE / AUTHORIZER_CONFIGURATION_ERROR.
      return gatewayResponse(response, GATEWAY_RESPONSES.authorizerFailure);
    }
    if (!decision.allowed) return gatewayResponse(response, GATEWAY_RESPONSES.accessDenied, decision.context);

    try {
      const handle = await handlerFor(route.entry);
      const event = proxyEvent({
        ...input,
        body: body.length > 0 ? body.toString('utf8') : null,
        authorizer: { principalId: decision.principalId, context: decision.context },
      });
      return writeProxyResult(response, await handle(event, lambdaContext(route.entry, { requestId })));
    } catch (error) {
      // A Lambda error behind a proxy integration is API Gateway's 502.
      options.log(`handler ${route.entry} failed: ${error instanceof Error ? error.message : String(error)}`);
      return send(response, 502, { message: 'Internal server error' });
    }
  }

  const server = createServer((request, response) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    dispatch(request, response, url, requestId)
      .catch((error: unknown) => {
        options.log(`gateway error: ${error instanceof Error ? error.message : String(error)}`);
        return response.headersSent ? 500 : send(response, 500, { message: 'Internal server error' });
      })
      .then((status) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // Method, path, status and time only: headers and queries can carry keys and JWTs.
        options.log(`${method} ${url.pathname} ${status} ${ms.toFixed(1)}ms`);
      });
  });

  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        url: `http://${host}:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            // In-flight requests get a few seconds to finish; lingering keep-alive sockets do not hold shutdown.
            const force = setTimeout(() => server.closeAllConnections(), 5000);
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
