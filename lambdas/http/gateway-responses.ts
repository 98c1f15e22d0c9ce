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
} as const;

/**
 * DEFAULT_4XX / DEFAULT_5XX: any other error API Gateway produces itself keeps its status and
 * gets the contract's shape (API.md §1), e.g. a malformed request line or oversized headers.
 */
export function defaultGatewayResponse(status: number): { status: number; body: string } {
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
