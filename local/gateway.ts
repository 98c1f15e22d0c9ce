import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult, Context } from 'aws-lambda';
import { EXAMPLE_ROUTES, INVALID_PATH_ENCODING, matchPath } from '../lambdas/domain/routes';
import { defaultGatewayResponse, GATEWAY_RESPONSES, renderGatewayResponse } from '../lambdas/http/gateway-responses';
import { OPERATION_LIST } from '../lambdas/runtime/manifest';
import { authorizerEvent, LOCAL_API, lambdaContext, proxyEvent, type RequestInput, rawHeaderPairs } from './api-gateway-events';

/**
 * A local stand-in for API Gateway (REST, v1) serving two APIs on one port, so the real handlers
 * run unchanged: the management API behind the admin authorizer, and the example protected API
 * behind the api-key authorizer. Each request gets a real REQUEST-authorizer event, the result is
 * applied as API Gateway applies it, and an allowed request gets a real proxy event.
 *
 * Every answer API Gateway gives itself (401, 403, authorizer failure, unknown route, malformed
 * request, body too large, integration failure or timeout) uses the gateway responses of
 * `lambdas/http/gateway-responses.ts`, shared with the CDK stack. Both APIs share this one port, so
 * an unknown route under `/v1/organizations` is the management API's.
 *
 * No request can stop it (API.md §6): whatever a request holds, and however its handlers fail,
 * the outcome is an answer to that request (or, when the client is gone, a closed socket).
 */

/** API Gateway's hard payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** API Gateway's integration timeout: a handler that has not answered by then gets 504. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * Where the management API's organization paths start: an unknown path there is the management
 * API's (404 route_not_found); so is an unknown method on any management resource (`POST /v1/me`).
 * Every other unknown path belongs to the protected API (403 route_not_allowed).
 */
const MANAGEMENT_PREFIX = '/v1/organizations';

type Json = Record<string, unknown>;
type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Which authorizer guards a route (none for a public one), and the entry file (`lambdas/<entry>.ts`) behind it. */
interface GatewayRoute {
  api: 'management' | 'example';
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
  /** @default INTEGRATION_TIMEOUT_MS */
  integrationTimeoutMs?: number;
  /**
   * Local-only pages outside both APIs (the console, the dev issuer's sign-in), tried in order
   * before routing; each answers a request it owns and returns true. `path` is still percent-encoded.
   */
  sites?: readonly LocalSite[];
  /**
   * API Gateway's stage throttling, one bucket per API (management, protected): a request over it
   * gets 429 `throttled` before any authorizer runs.
   * @default none: the local runtime serves one developer
   */
  throttle?: { rateLimit: number; burstLimit: number };
  /**
   * The protected API's authorizer has `x-api-key` as its identity source (the `apiKeyHeaderOnly`
   * context): a request without the header gets 401 without invoking the authorizer.
   * @default false: every request invokes it (the Bearer fallback works)
   */
  apiKeyHeaderOnly?: boolean;
}

export type LocalSite = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;

export interface Gateway {
  url: string;
  server: Server;
  /** Stops accepting connections and waits for in-flight requests. */
  close(): Promise<void>;
}

class PayloadTooLargeError extends Error {}
/** The client closed the connection before its request was complete: nobody is left to answer. */
class ClientGoneError extends Error {}

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
    request.on('error', () => reject(new ClientGoneError()));
    request.on('close', () => {
      if (!request.complete) reject(new ClientGoneError());
    });
  });
}

/** The parts of a request target API Gateway routes on. */
interface Target {
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

/**
 * API Gateway's throttling algorithm: a bucket of `burstLimit` requests, refilled at `rateLimit`
 * per second; a request finding it empty is throttled.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rateLimit: number,
    private readonly burstLimit: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burstLimit;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burstLimit, this.tokens + ((now - this.last) / 1000) * this.rateLimit);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const TIMED_OUT = Symbol('timed out');

/** `work`, or TIMED_OUT once `ms` have passed (the work itself goes on: nothing can cancel a handler). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What API Gateway sends for a Lambda proxy result; undefined when the result is not a valid one. */
export function proxyResponse(result: unknown): { status: number; headers: OutgoingHttpHeaders; body: Buffer } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const proxy = result as Partial<APIGatewayProxyResult>;
  const { statusCode, body } = proxy;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const headers: Record<string, string | string[]> = {};
  try {
    for (const [name, values] of Object.entries(proxy.multiValueHeaders ?? {})) {
      if (!Array.isArray(values)) return undefined;
      headers[name.toLowerCase()] = values.map(String);
    }
    for (const [name, value] of Object.entries(proxy.headers ?? {})) headers[name.toLowerCase()] = String(value);
    for (const [name, value] of Object.entries(headers)) {
      validateHeaderName(name);
      for (const one of [value].flat()) validateHeaderValue(name, one);
    }
  } catch {
    return undefined;
  }
  const text = body ?? '';
  return { status: statusCode, headers, body: proxy.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8') };
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
    // Unreachable for a request: the handler answers a bad percent-encoding with 400 invalid_path
    // before routing. Treated as no match so routing alone never throws.
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
    headers: Record<string, string> = {},
  ): number {
    return send(response, gatewayAnswer.status, renderGatewayResponse(gatewayAnswer.body, context), headers);
  }

  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const { throttle } = options;
  const buckets = throttle
    ? {
        management: new TokenBucket(throttle.rateLimit, throttle.burstLimit),
        example: new TokenBucket(throttle.rateLimit, throttle.burstLimit),
      }
    : undefined;
  const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

  /** A request's outcome for the log: its status, or why nobody was answered. */
  type Outcome = number | 'client gone';

  /**
   * Runs a route's authorizer as API Gateway does: what it allowed the request with, or the status
   * of the gateway response it led to (401, 403, authorizer failure), already sent.
   */
  async function authorize(
    authorizer: string,
    input: RequestInput,
    response: ServerResponse,
  ): Promise<{ principalId: string; context: Json } | number> {
    const authorization = authorizerEvent(input);
    let decision: ReturnType<typeof evaluatePolicy>;
    try {
      const handle = await handlerFor(authorizer);
      const result = await within(handle(authorization, lambdaContext(authorizer, { timeoutMs })), timeoutMs);
      if (result === TIMED_OUT) throw new Error(`no answer within ${timeoutMs} ms`);
      decision = evaluatePolicy(result, authorization.methodArn);
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') {
        return gatewayResponse(response, GATEWAY_RESPONSES.unauthorized);
      }
      options.log(`authorizer ${authorizer} failed: ${describe(error)}`);
      decision = undefined;
    }
    // No valid result: API Gateway's AUTHORIZER_FAILURE / AUTHORIZER_CONFIGURATION_ERROR.
    if (!decision) return gatewayResponse(response, GATEWAY_RESPONSES.authorizerFailure);
    if (!decision.allowed) return gatewayResponse(response, GATEWAY_RESPONSES.accessDenied, decision.context);
    return { principalId: decision.principalId, context: decision.context };
  }

  async function dispatch(request: IncomingMessage, response: ServerResponse, target: Target, requestId: string): Promise<Outcome> {
    const method = (request.method ?? 'GET').toUpperCase();
    const { path } = target;

    if (!isValidPercentEncoding(path)) return gatewayResponse(response, GATEWAY_RESPONSES.invalidPath);
    if (method === 'GET' && path === '/health') {
      return options.isReady() ? send(response, 200, { status: 'ok' }) : send(response, 503, { status: 'starting' });
    }
    if (method === 'GET' && path === '/local-issuer/.well-known/jwks.json') {
      return send(response, 200, await options.jwks(), { 'cache-control': 'max-age=60' });
    }
    for (const site of options.sites ?? []) {
      if (await site(request, response, path)) return response.statusCode;
    }

    const resource = resolveResource(path);
    const route = resource?.routes.find((candidate) => candidate.method === method);
    const api = route?.api ?? (path.startsWith(MANAGEMENT_PREFIX) || resource?.routes[0]?.api === 'management' ? 'management' : 'example');
    // Stage throttling comes first: a throttled request reaches no authorizer, routed or not.
    if (buckets && !buckets[api].take()) return gatewayResponse(response, GATEWAY_RESPONSES.throttled);
    if (!resource || !route) {
      return gatewayResponse(
        response,
        api === 'management' ? GATEWAY_RESPONSES.managementRouteNotFound : GATEWAY_RESPONSES.protectedRouteNotFound,
      );
    }

    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        return gatewayResponse(response, GATEWAY_RESPONSES.requestTooLarge, {}, { connection: 'close' });
      }
      if (error instanceof ClientGoneError) return 'client gone';
      throw error;
    }

    const input: RequestInput = {
      method,
      resource: route.template,
      path,
      pathParameters: resource.params,
      headers: rawHeaderPairs(request.rawHeaders),
      query: target.query,
      api: LOCAL_API,
      requestId,
      requestTime: new Date(),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: request.headers['user-agent'] ?? null,
      domainName: request.headers.host ?? '127.0.0.1',
      protocol: `HTTP/${request.httpVersion}`,
    };
    // An identity source that is missing or empty: API Gateway's own 401, the authorizer never runs.
    if (options.apiKeyHeaderOnly && route.authorizer === 'api-key-authorizer' && !request.headers['x-api-key']) {
      return gatewayResponse(response, GATEWAY_RESPONSES.unauthorized);
    }
    const authorized = route.authorizer === undefined ? null : await authorize(route.authorizer, input, response);
    if (typeof authorized === 'number') return authorized;

    let result: unknown;
    try {
      const handle = await handlerFor(route.entry);
      const event = proxyEvent({
        ...input,
        body: body.length > 0 ? body.toString('utf8') : null,
        authorizer: authorized,
      });
      result = await within(handle(event, lambdaContext(route.entry, { requestId, timeoutMs })), timeoutMs);
    } catch (error) {
      // A Lambda error behind a proxy integration is API Gateway's 502.
      options.log(`handler ${route.entry} failed: ${describe(error)}`);
      return gatewayResponse(response, GATEWAY_RESPONSES.integrationFailure);
    }
    if (result === TIMED_OUT) {
      options.log(`handler ${route.entry} did not answer within ${timeoutMs} ms`);
      return gatewayResponse(response, GATEWAY_RESPONSES.integrationTimeout);
    }
    const proxied = proxyResponse(result);
    if (!proxied) {
      options.log(`handler ${route.entry} returned something that is not a proxy result`);
      return gatewayResponse(response, GATEWAY_RESPONSES.integrationFailure);
    }
    response.writeHead(proxied.status, proxied.headers);
    response.end(proxied.body);
    return proxied.status;
  }

  /** Never rejects: every error ends as this request's own answer (or a closed socket). */
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const method = request.method ?? '-';
    const target = parseTarget(request.url ?? '');
    let outcome: Outcome;
    try {
      outcome = target
        ? await dispatch(request, response, target, randomUUID())
        : gatewayResponse(response, defaultGatewayResponse(400), {}, { connection: 'close' });
    } catch (error) {
      options.log(`gateway error: ${describe(error)}`);
      if (response.headersSent) {
        response.destroy();
        outcome = 500;
      } else {
        outcome = gatewayResponse(response, defaultGatewayResponse(500));
      }
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Method, path, status and time only: headers and queries can carry keys and JWTs.
    options.log(`${method} ${target?.path ?? '(unparsable target)'} ${outcome} ${ms.toFixed(1)}ms`);
  }

  /**
   * A request Node's parser refused (a bad request line, target, header or body framing; headers
   * over the size limit; a timeout) is answered in the contract's shape, as Node would answer it
   * bare, and the connection closes. When an answer has already begun on that connection, or the
   * client has gone, the connection is just closed.
   */
  const answering = new WeakMap<Duplex, ServerResponse>();
  function refuse(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable || answering.get(socket)?.headersSent) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = defaultGatewayResponse(status).body;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
    options.log(`malformed request ${status} (${error.code ?? 'unknown'})`);
  }

  const server = createServer((request, response) => {
    const { socket } = request;
    answering.set(socket, response);
    response.once('finish', () => {
      if (answering.get(socket) === response) answering.delete(socket);
    });
    void handle(request, response);
  });
  server.on('clientError', refuse);

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
            // In-flight requests get a moment to finish; lingering keep-alive sockets do not hold shutdown.
            const force = setTimeout(() => server.closeAllConnections(), 2000);
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
