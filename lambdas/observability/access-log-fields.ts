/**
 * The access log line of both APIs' stages (lib/constructs/access-log-format.ts) and of the local
 * gateway: one JSON object per request, which attributes traffic to a key and an organization
 * (from the authorizer's context, API.md §1) and says what the authorizer did and how long it
 * took. Never a header, a query string or a body: they can hold the token (`x-api-key`,
 * `Authorization`). Every value is quoted, so a field API Gateway has no value for (`-`) still
 * leaves valid JSON. Data only, at the bottom of lambdas/: the CDK, the local gateway and the usage
 * aggregator all read the field names here.
 */
export const ACCESS_LOG_FIELDS = {
  api_id: '$context.apiId',
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
  status: '$context.status',
  response_length: '$context.responseLength',
  response_latency_ms: '$context.responseLatency',
  integration_status: '$context.integration.status',
  integration_latency_ms: '$context.integration.latency',
  // The api-key authorizer's context: on Allow the key and the organization; on Deny the key is the
  // principal, the code says why, and the organization is there too (the usage counts need it).
  api_key_id: '$context.authorizer.api_key_id',
  organization_id: '$context.authorizer.organization_id',
  principal_id: '$context.authorizer.principalId',
  deny_code: '$context.authorizer.code',
  authorizer_status: '$context.authorizer.status',
  authorizer_latency_ms: '$context.authorizer.latency',
  authorizer_error: '$context.authorizer.error',
  // The gateway response API Gateway answered with, e.g. AUTHORIZER_FAILURE (the alarms count those).
  error_type: '$context.error.responseType',
  error_message: '$context.error.message',
} as const;

/** One access log line as JSON: every field a string, `-` where API Gateway had no value. */
export type AccessLogLine = Partial<Record<keyof typeof ACCESS_LOG_FIELDS, string>>;

/** API Gateway's placeholder for a context variable without a value. */
export const NO_VALUE = '-';
