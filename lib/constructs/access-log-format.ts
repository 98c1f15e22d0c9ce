import * as apigw from 'aws-cdk-lib/aws-apigateway';

/**
 * The access log line of both APIs' stages: one JSON object per request, which attributes
 * traffic to a key and an organization (from the authorizer's context, API.md §1) and says what
 * the authorizer did and how long it took. Never a header, a query string or a body: they can
 * hold the token (`x-api-key`, `Authorization`). Every value is quoted, so a field API Gateway
 * has no value for (`-`) still leaves valid JSON.
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
  // The api-key authorizer's context on Allow; on Deny the key is the principal and the code says why.
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

/** The gateway response types (`error_type`) of a request the authorizer failed: the client got 500. */
export const AUTHORIZER_FAILURE_TYPES = ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'] as const;

export function keywardAccessLogFormat(): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS));
}
