import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { CACHED_API_KEY_IDENTITY_SOURCES } from '../lambdas/http/authorizer';
import { defaultGatewayResponse, GATEWAY_RESPONSES } from '../lambdas/http/gateway-responses';
import { type AccessLogFormatName, DEFAULT_ACCESS_LOG_FORMAT, renderAccessLine } from '../lambdas/observability/access-log-fields';
import { authorizerEvent, LOCAL_API, lambdaContext, proxyEvent, type RequestInput, rawHeaderPairs } from './api-gateway-events';
import { gatewayResponse, refusal, send } from './gateway-answers';
import { AuthorizerResultCache, identityOf } from './gateway-authorizer-cache';
import { handlerLoader, overTheWire, proxyResponse } from './gateway-integration';
import { ClientGoneError, INTEGRATION_TIMEOUT_MS, PayloadTooLargeError, readBody, TIMED_OUT, TokenBucket, within } from './gateway-limits';
import type { PlanEnforcer } from './gateway-plans';
import { type Decision, evaluatePolicy, type Json } from './gateway-policy';
import { isValidPercentEncoding, parseTarget, routeRequest, type Target } from './gateway-routing';

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
 *
 * This file is the server and a request's way through it. Routing (gateway-routing.ts), its own
 * answers (gateway-answers.ts), the authorizer's policy (gateway-policy.ts), API Gateway's limits
 * (gateway-limits.ts) and the handlers' side (gateway-integration.ts) are modules of their own.
 */

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
  /**
   * The organizations' plans (API.md §9), applied to the protected API's requests the api-key
   * authorizer allowed, before the backend: 429 `throttled` / `quota_exceeded`.
   * @default none
   */
  plans?: PlanEnforcer;
  /**
   * API Gateway's result cache on the protected API's authorizer (the `authorizerCacheTtlSeconds`
   * context), emulated: keyed by the same identity sources (`x-api-key`, method, resource path),
   * so a request without `x-api-key` gets 401 without invoking the authorizer, and a result is
   * reused, and evaluated against the request's method ARN, for this many seconds.
   * @default 0: off, every request invokes the authorizer
   */
  authorizerCacheTtlSeconds?: number;
  /** The clock of the emulated result cache, in milliseconds. @default Date.now */
  now?: () => number;
  /**
   * The protected API's access log (API Gateway's, lambdas/observability/access-log-fields.ts): one
   * line per request, with the authorizer's context; the usage shipper feeds it to the aggregator.
   * @default none
   */
  accessLog?: (line: string) => void;
  /** The access log's format, as a stage's `accessLogFormat`. @default 'lean' */
  accessLogFormat?: AccessLogFormatName;
}

export type LocalSite = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;

export interface Gateway {
  url: string;
  server: Server;
  /** Stops accepting connections and waits for in-flight requests. */
  close(): Promise<void>;
}

export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const handlerFor = handlerLoader(options.lambdasDir ?? join(__dirname, '..', 'lambdas'));

  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const { throttle } = options;
  const buckets = throttle
    ? {
        management: new TokenBucket(throttle.rateLimit, throttle.burstLimit),
        example: new TokenBucket(throttle.rateLimit, throttle.burstLimit),
      }
    : undefined;
  const cacheTtlMs = (options.authorizerCacheTtlSeconds ?? 0) * 1000;
  // Only the protected API's authorizer can be cached (the management API's never is).
  const resultCaches: Partial<Record<string, { cache: AuthorizerResultCache; sources: readonly string[] }>> =
    cacheTtlMs > 0
      ? { 'api-key-authorizer': { cache: new AuthorizerResultCache(cacheTtlMs, options.now), sources: CACHED_API_KEY_IDENTITY_SOURCES } }
      : {};
  const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

  /** A request's outcome for the log: its status, or why nobody was answered. */
  type Outcome = number | 'client gone';

  /** What the access log line of a request says besides its status, filled in as the request goes. */
  interface AccessRecord {
    readonly requestId: string;
    readonly requestTimeEpoch: number;
    api?: 'management' | 'example';
    method?: string;
    resource?: string;
    ip?: string;
    principalId?: string;
    context?: Json;
  }

  /**
   * Runs a route's authorizer as API Gateway does: what it allowed the request with, or the status
   * of the gateway response it led to (401, 403, authorizer failure), already sent.
   */
  async function authorize(
    authorizer: string,
    input: RequestInput,
    request: IncomingMessage,
    response: ServerResponse,
    record: AccessRecord,
  ): Promise<{ principalId: string; context: Json; integrationLatency: number } | number> {
    const authorization = authorizerEvent(input);
    const cached = resultCaches[authorizer];
    let identity: string | undefined;
    if (cached) {
      identity = identityOf(cached.sources, input, (name) => request.headers[name.toLowerCase()]);
      // An identity source missing or empty: API Gateway's own 401, the authorizer never runs.
      if (identity === undefined) return gatewayResponse(response, GATEWAY_RESPONSES.unauthorized);
    }
    let decision: Decision | undefined;
    let integrationLatency = 0;
    try {
      let result = identity === undefined ? undefined : cached?.cache.get(identity);
      if (result === undefined) {
        const started = performance.now();
        const handle = await handlerFor(authorizer);
        const returned = await within(handle(overTheWire(authorization), lambdaContext(authorizer, { timeoutMs })), timeoutMs);
        if (returned === TIMED_OUT) throw new Error(`no answer within ${timeoutMs} ms`);
        integrationLatency = Math.round(performance.now() - started);
        result = overTheWire(returned);
        // Only a valid result is kept: a 401 or a failure is decided again on the next request.
        if (identity !== undefined && evaluatePolicy(result, authorization.methodArn)) cached?.cache.set(identity, result);
      }
      // A cached result is applied as API Gateway applies it: its policy, evaluated for this request.
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
    record.principalId = decision.principalId;
    record.context = decision.context;
    if (!decision.allowed) return gatewayResponse(response, GATEWAY_RESPONSES.accessDenied, decision.context);
    return { principalId: decision.principalId, context: decision.context, integrationLatency };
  }

  async function dispatch(request: IncomingMessage, response: ServerResponse, target: Target, record: AccessRecord): Promise<Outcome> {
    const { requestId } = record;
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

    const { resource, route, api } = routeRequest(method, path);
    Object.assign(record, { api, method, resource: route?.template ?? path, ip: request.socket.remoteAddress ?? '127.0.0.1' });
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
    const authorized = route.authorizer === undefined ? null : await authorize(route.authorizer, input, request, response, record);
    if (typeof authorized === 'number') return authorized;
    // The usage plan of the organization the authorizer named, as API Gateway applies it after the authorizer.
    if (options.plans && route.authorizer === 'api-key-authorizer' && typeof authorized?.context.organization_id === 'string') {
      const outcome = await options.plans.admit(authorized.context.organization_id);
      if (outcome === 'throttled') return gatewayResponse(response, GATEWAY_RESPONSES.throttled);
      if (outcome === 'quota_exceeded') return gatewayResponse(response, GATEWAY_RESPONSES.quotaExceeded);
    }

    let result: unknown;
    try {
      const handle = await handlerFor(route.entry);
      const event = proxyEvent({
        ...input,
        body: body.length > 0 ? body.toString('utf8') : null,
        authorizer: authorized,
      });
      result = await within(handle(overTheWire(event), lambdaContext(route.entry, { requestId, timeoutMs })), timeoutMs);
      if (result !== TIMED_OUT) result = overTheWire(result);
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
    const record: AccessRecord = { requestId: randomUUID(), requestTimeEpoch: Date.now() };
    let outcome: Outcome;
    try {
      outcome = target
        ? await dispatch(request, response, target, record)
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
    if (options.accessLog && record.api === 'example') {
      try {
        options.accessLog(accessLine(record, outcome, ms));
      } catch (error) {
        options.log(`access log: ${describe(error)}`);
      }
    }
  }

  /**
   * The line API Gateway's access log format (access-log-fields.ts) gives the request: the
   * `$context` variables the local gateway knows, `-` for the rest.
   */
  function accessLine(record: AccessRecord, outcome: Outcome, ms: number): string {
    const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
    const context = record.context ?? {};
    return renderAccessLine(options.accessLogFormat ?? DEFAULT_ACCESS_LOG_FORMAT, {
      '$context.apiId': 'local',
      '$context.extendedRequestId': record.requestId.replaceAll('-', '').slice(0, 16),
      '$context.requestId': record.requestId,
      '$context.requestTime': new Date(record.requestTimeEpoch).toISOString(),
      '$context.requestTimeEpoch': String(record.requestTimeEpoch),
      '$context.identity.sourceIp': text(record.ip),
      '$context.httpMethod': text(record.method),
      '$context.resourcePath': text(record.resource),
      '$context.status': typeof outcome === 'number' ? String(outcome) : undefined,
      '$context.responseLatency': String(Math.round(ms)),
      '$context.authorizer.api_key_id': text(context.api_key_id),
      '$context.authorizer.organization_id': text(context.organization_id),
      '$context.authorizer.principalId': text(record.principalId),
      '$context.authorizer.code': text(context.code),
    });
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
    const { status, http } = refusal(error.code);
    socket.end(http);
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
