import { STATUS_CODES } from 'node:http';

/**
 * The bodies API Gateway itself answers with (its "gateway responses"), as API.md fixes them.
 * Data only: the CDK sets them on the REST APIs and the local gateway sends the same ones.
 */
export const GATEWAY_RESPONSES = {
  /** The authorizer threw `Unauthorized` (API.md §1 and §3). */
  unauthorized: { status: 401, body: '{"status":401,"error":"Unauthorized"}' },
  /** The authorizer denied; `code` comes from its context (API.md §1). */
  accessDenied: { status: 403, body: '{"status":403,"error":"Forbidden","code":"$context.authorizer.code"}' },
  /** The authorizer itself failed (e.g. the table could not be read): never an Allow. */
  authorizerFailure: { status: 500, body: '{"status":500,"error":"Internal Server Error","code":"internal_error"}' },
  /**
   * A method or path the protected API does not define (API Gateway's MISSING_AUTHENTICATION_TOKEN):
   * denied like a route missing from the route table, failing closed.
   */
  protectedRouteNotFound: { status: 403, body: '{"status":403,"error":"Forbidden","code":"route_not_allowed"}' },
  /** A method or path the management API does not define. */
  managementRouteNotFound: { status: 404, body: '{"status":404,"error":"Not Found","code":"route_not_found"}' },
  /** A path that is not valid percent-encoding (API.md §1), on both APIs. */
  invalidPath: { status: 400, body: '{"status":400,"error":"Bad Request","code":"invalid_path"}' },
  /** A body over API Gateway's 10 MB limit (REQUEST_TOO_LARGE). */
  requestTooLarge: { status: 413, body: '{"status":413,"error":"Payload Too Large","code":"request_too_large"}' },
  /** A Lambda error or a result that is not a proxy response (API Gateway's 502, a DEFAULT_5XX). */
  integrationFailure: { status: 502, body: '{"status":502,"error":"Bad Gateway","code":"internal_error"}' },
  /** The integration did not answer in time (INTEGRATION_TIMEOUT). */
  integrationTimeout: { status: 504, body: '{"status":504,"error":"Gateway Timeout","code":"timeout"}' },
  /** Over the stage's or the organization's plan's rate or burst limit (THROTTLED). */
  throttled: { status: 429, body: '{"status":429,"error":"Too Many Requests","code":"throttled"}' },
  /** Over the organization's plan's quota (QUOTA_EXCEEDED, API.md §9). */
  quotaExceeded: { status: 429, body: '{"status":429,"error":"Too Many Requests","code":"quota_exceeded"}' },
} as const;

export type GatewayAnswer = { readonly status: number; readonly body: string };

/** Which of keyward's two kinds of API a gateway response is for: they differ only for an undefined route. */
export type GatewayApiKind = 'management' | 'protected';

/**
 * Every response type API Gateway (REST) can answer with itself, and the contract's answer for it
 * on each kind of API (API.md §1): the CDK sets all of them on both APIs, so no client ever meets
 * API Gateway's `{"message":…}`. Types the APIs cannot produce today (API keys of usage plans,
 * SigV4, WAF) are set too, so turning such a feature on cannot bring the old shape back.
 * DEFAULT_4XX / DEFAULT_5XX catch any type added to API Gateway later; they need a fixed status
 * because a gateway response body cannot read the status it is sent with.
 */
export function gatewayResponsesFor(api: GatewayApiKind): Readonly<Record<GatewayResponseType, GatewayAnswer>> {
  const routeNotFound = api === 'management' ? GATEWAY_RESPONSES.managementRouteNotFound : GATEWAY_RESPONSES.protectedRouteNotFound;
  return {
    DEFAULT_4XX: defaultGatewayResponse(400),
    // A Lambda proxy integration that fails or answers garbage is API Gateway's 502.
    DEFAULT_5XX: GATEWAY_RESPONSES.integrationFailure,
    UNAUTHORIZED: GATEWAY_RESPONSES.unauthorized,
    ACCESS_DENIED: GATEWAY_RESPONSES.accessDenied,
    AUTHORIZER_FAILURE: GATEWAY_RESPONSES.authorizerFailure,
    AUTHORIZER_CONFIGURATION_ERROR: GATEWAY_RESPONSES.authorizerFailure,
    // An undefined method or path (API Gateway asks for SigV4 credentials), or a resource gone after authorization.
    MISSING_AUTHENTICATION_TOKEN: routeNotFound,
    RESOURCE_NOT_FOUND: routeNotFound,
    THROTTLED: GATEWAY_RESPONSES.throttled,
    QUOTA_EXCEEDED: GATEWAY_RESPONSES.quotaExceeded,
    REQUEST_TOO_LARGE: GATEWAY_RESPONSES.requestTooLarge,
    INTEGRATION_TIMEOUT: GATEWAY_RESPONSES.integrationTimeout,
    INTEGRATION_FAILURE: GATEWAY_RESPONSES.integrationFailure,
    API_CONFIGURATION_ERROR: defaultGatewayResponse(500),
    BAD_REQUEST_BODY: defaultGatewayResponse(400),
    BAD_REQUEST_PARAMETERS: defaultGatewayResponse(400),
    UNSUPPORTED_MEDIA_TYPE: defaultGatewayResponse(415),
    EXPIRED_TOKEN: defaultGatewayResponse(403),
    INVALID_SIGNATURE: defaultGatewayResponse(403),
    INVALID_API_KEY: defaultGatewayResponse(403),
    WAF_FILTERED: defaultGatewayResponse(403),
  };
}

/** API Gateway's gateway response types (REST APIs), as its API spells them. */
export const GATEWAY_RESPONSE_TYPES = [
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'UNAUTHORIZED',
  'ACCESS_DENIED',
  'AUTHORIZER_FAILURE',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'MISSING_AUTHENTICATION_TOKEN',
  'RESOURCE_NOT_FOUND',
  'THROTTLED',
  'QUOTA_EXCEEDED',
  'REQUEST_TOO_LARGE',
  'INTEGRATION_TIMEOUT',
  'INTEGRATION_FAILURE',
  'API_CONFIGURATION_ERROR',
  'BAD_REQUEST_BODY',
  'BAD_REQUEST_PARAMETERS',
  'UNSUPPORTED_MEDIA_TYPE',
  'EXPIRED_TOKEN',
  'INVALID_SIGNATURE',
  'INVALID_API_KEY',
  'WAF_FILTERED',
] as const;
export type GatewayResponseType = (typeof GATEWAY_RESPONSE_TYPES)[number];

/**
 * DEFAULT_4XX / DEFAULT_5XX: any other error API Gateway produces itself keeps its status and
 * gets the contract's shape (API.md §1), e.g. a malformed request line or oversized headers.
 */
export function defaultGatewayResponse(status: number): GatewayAnswer {
  const body = { status, error: STATUS_CODES[status] ?? 'Error', code: status >= 500 ? 'internal_error' : 'bad_request' };
  return { status, body: JSON.stringify(body) };
}

/** Fills `$context.authorizer.<name>` placeholders as API Gateway does (absent values vanish). */
export function renderGatewayResponse(template: string, context: Record<string, unknown> = {}): unknown {
  const body = JSON.parse(template.replace(/\$context\.authorizer\.(\w+)/g, (_, name: string) => String(context[name] ?? ''))) as Record<
    string,
    unknown
  >;
  for (const [field, value] of Object.entries(body)) if (value === '') delete body[field];
  return body;
}
