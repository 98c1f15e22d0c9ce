/**
 * The access log line of the APIs' stages (lib/constructs/access-log-format.ts) and of the local
 * gateway. Never a header, a query string or a body: they can hold the token (`x-api-key`,
 * `Authorization`). A field API Gateway has no value for is `-`. Data and its parsing only, at the
 * bottom of lambdas/: the CDK, the local gateway and the usage aggregator all read the names here.
 *
 * Two formats, chosen per stage (`accessLogFormat`, lib/config.ts):
 *  - `lean` (the default): only what the usage counts and the alarms read, as space-separated
 *    values in a fixed order (`o k s d e x`, the names below), ~60 bytes a request instead of
 *    ~750 (docs/operating.md, "Cost per million authorized requests"). None of the values can hold
 *    a space (ids, a status, snake_case codes, upper-case response types). No API id: it is the
 *    same on every line of a stage's log, and the alarms' metrics take the API from the log group
 *    they count (lib/constructs/keyward-rest-api.ts), not from the line.
 *  - `full`: one JSON object with the same fields under the same names, plus the API id `a` and
 *    what an investigation wants (request id, times, caller's address and agent, route,
 *    latencies, the authorizer's own status). Every value is quoted, so `-` still leaves valid JSON.
 * Whatever reads a stage's access log (the usage aggregator, the alarms' metric filters) reads the
 * lean fields only, from either format (`parseAccessLine`).
 */
export const LEAN_ACCESS_LOG_FIELDS = {
  /** The organization of the key, from the authorizer's context (on Allow and on Deny). */
  o: '$context.authorizer.organization_id',
  /** The key: the authorizer's principal, on Allow and on Deny (API.md §1). */
  k: '$context.authorizer.principalId',
  /** The HTTP status the client got. */
  s: '$context.status',
  /** Why the authorizer denied (403), e.g. `route_not_allowed`. */
  d: '$context.authorizer.code',
  /** The gateway response API Gateway answered with, e.g. AUTHORIZER_FAILURE (the alarms count those). */
  e: '$context.error.responseType',
  /**
   * API Gateway's own id of the request (16 characters; `x-amz-apigw-id` in the response): a stage's
   * format must hold it or `$context.requestId`, the shorter one is here.
   */
  x: '$context.extendedRequestId',
} as const;

export type LeanField = keyof typeof LEAN_ACCESS_LOG_FIELDS;

/** The lean fields in the order of a lean line. */
export const LEAN_FIELD_ORDER = Object.keys(LEAN_ACCESS_LOG_FIELDS) as LeanField[];

/**
 * The lean lines written before the API id left the lean format (`a o k s d e x`): read by their
 * field count, so a batch spanning the change still counts.
 */
const OLD_LEAN_FIELD_ORDER = ['a', ...LEAN_FIELD_ORDER] as const;

/** The `full` format: the API, the lean fields, then the forensic ones. */
export const FULL_ACCESS_LOG_FIELDS = {
  /** The API. */
  a: '$context.apiId',
  ...LEAN_ACCESS_LOG_FIELDS,
  stage: '$context.stage',
  request_id: '$context.requestId',
  xray_trace_id: '$context.xrayTraceId',
  request_time: '$context.requestTime',
  request_time_epoch: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  user_agent: '$context.identity.userAgent',
  method: '$context.httpMethod',
  resource: '$context.resourcePath',
  path: '$context.path',
  protocol: '$context.protocol',
  response_length: '$context.responseLength',
  response_latency_ms: '$context.responseLatency',
  integration_status: '$context.integration.status',
  integration_latency_ms: '$context.integration.latency',
  // The api-key authorizer's context on Allow (the principal `k` is the key on Deny too).
  api_key_id: '$context.authorizer.api_key_id',
  authorizer_status: '$context.authorizer.status',
  authorizer_latency_ms: '$context.authorizer.latency',
  authorizer_error: '$context.authorizer.error',
  error_message: '$context.error.message',
} as const;

export type AccessLogFormatName = 'lean' | 'full';

export const ACCESS_LOG_FORMAT_NAMES: readonly AccessLogFormatName[] = ['lean', 'full'];

/** A stage's default: lean. */
export const DEFAULT_ACCESS_LOG_FORMAT: AccessLogFormatName = 'lean';

/** One access log line as JSON: every field a string, `-` where API Gateway had no value. */
export type AccessLogLine = Partial<Record<keyof typeof FULL_ACCESS_LOG_FIELDS, string>>;

/** API Gateway's placeholder for a context variable without a value. */
export const NO_VALUE = '-';

/** A stage's `accessLogSetting.format`: the lean fields' variables separated by spaces, or the full object as JSON. */
export function accessLogFormatString(format: AccessLogFormatName): string {
  return format === 'lean'
    ? LEAN_FIELD_ORDER.map((name) => LEAN_ACCESS_LOG_FIELDS[name]).join(' ')
    : JSON.stringify(FULL_ACCESS_LOG_FIELDS);
}

/**
 * The line API Gateway writes for a request in `format`, given the `$context` variables' values
 * (`$context.status` → `200`): what the local gateway writes, and what the bench weighs. A
 * variable without a value is `-`, as API Gateway writes it.
 */
export function renderAccessLine(format: AccessLogFormatName, values: Readonly<Record<string, string | undefined>>): string {
  const value = (variable: string) => {
    const given = values[variable];
    return given === undefined || given === '' ? NO_VALUE : given;
  };
  if (format === 'lean') return LEAN_FIELD_ORDER.map((name) => value(LEAN_ACCESS_LOG_FIELDS[name])).join(' ');
  return JSON.stringify(Object.fromEntries(Object.entries(FULL_ACCESS_LOG_FIELDS).map(([name, variable]) => [name, value(variable)])));
}

/**
 * One access log line's fields, whichever the format: a JSON object as it is (full lines, and the
 * lines written before the lean format), a lean line by position (six values, or seven in the lean
 * lines written with the API id first); undefined for anything else.
 */
export function parseAccessLine(message: string): Record<string, string | undefined> | undefined {
  if (message.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(message);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, string>) : undefined;
    } catch {
      return undefined;
    }
  }
  const values = message.trimEnd().split(' ');
  const order: readonly string[] | undefined =
    values.length === LEAN_FIELD_ORDER.length
      ? LEAN_FIELD_ORDER
      : values.length === OLD_LEAN_FIELD_ORDER.length
        ? OLD_LEAN_FIELD_ORDER
        : undefined;
  // Six values (seven, the old way), the status an HTTP status (or none: a client gone before the answer): anything else is no lean line.
  if (!order || !/^(\d{3}|-)$/.test(values[order.indexOf('s')] ?? '')) return undefined;
  return Object.fromEntries(order.map((name, i) => [name, values[i]]));
}
