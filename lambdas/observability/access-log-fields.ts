/**
 * The access log line of the APIs' stages (lib/constructs/access-log-format.ts) and of the local
 * gateway: one JSON object per request. Never a header, a query string or a body: they can hold
 * the token (`x-api-key`, `Authorization`). Every value is quoted, so a field API Gateway has no
 * value for (`-`) still leaves valid JSON. Data only, at the bottom of lambdas/: the CDK, the
 * local gateway and the usage aggregator all read the field names here.
 *
 * Two formats, chosen per stage (`accessLogFormat`, lib/config.ts):
 *  - `lean` (the default): only what the usage counts and the alarms read, under short names, so
 *    a request costs ~110 bytes of log ingestion instead of ~800 (docs/operating.md, "Cost per
 *    million authorized requests");
 *  - `full`: the same fields under the same names, plus what an investigation wants (request id,
 *    times, caller's address and agent, route, latencies, the authorizer's own status).
 * Whatever reads a stage's access log (the usage aggregator, the alarms' metric filters) reads
 * the lean fields only, and so reads both formats.
 */
export const LEAN_ACCESS_LOG_FIELDS = {
  /** The API (the alarms' metric filters count per API id). */
  a: '$context.apiId',
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
} as const;

/** What the lean fields hold, by name: the code reading a line says `ACCESS_LOG.status`, not `s`. */
export const ACCESS_LOG = {
  apiId: 'a',
  organizationId: 'o',
  apiKeyId: 'k',
  status: 's',
  denyCode: 'd',
  errorType: 'e',
} as const satisfies Record<string, keyof typeof LEAN_ACCESS_LOG_FIELDS>;

/** The `full` format: the lean fields, then the forensic ones. */
export const FULL_ACCESS_LOG_FIELDS = {
  ...LEAN_ACCESS_LOG_FIELDS,
  stage: '$context.stage',
  request_id: '$context.requestId',
  extended_request_id: '$context.extendedRequestId',
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

/** Each format's fields: name → API Gateway `$context` variable. */
export const ACCESS_LOG_FORMATS: Readonly<Record<AccessLogFormatName, Readonly<Record<string, string>>>> = {
  lean: LEAN_ACCESS_LOG_FIELDS,
  full: FULL_ACCESS_LOG_FIELDS,
};

/** One access log line as JSON: every field a string, `-` where API Gateway had no value. */
export type AccessLogLine = Partial<Record<keyof typeof FULL_ACCESS_LOG_FIELDS, string>>;

/** API Gateway's placeholder for a context variable without a value. */
export const NO_VALUE = '-';

/**
 * The line API Gateway writes for a request in `format`, given the `$context` variables' values
 * (`$context.status` → `200`): what the local gateway writes, and what the bench weighs. A
 * variable without a value is `-`, as API Gateway writes it.
 */
export function renderAccessLine(format: AccessLogFormatName, values: Readonly<Record<string, string | undefined>>): string {
  return JSON.stringify(accessLineOf(format, values));
}

/** The same line as an object (the local gateway hands it to the usage shipper). */
export function accessLineOf(format: AccessLogFormatName, values: Readonly<Record<string, string | undefined>>): AccessLogLine {
  const line: Record<string, string> = {};
  for (const [name, variable] of Object.entries(ACCESS_LOG_FORMATS[format])) {
    const value = values[variable];
    line[name] = value === undefined || value === '' ? NO_VALUE : value;
  }
  return line as AccessLogLine;
}
