import { type AccessLogFormatName, accessLogFormatString, renderAccessLine } from '../lambdas/observability/access-log-fields';

/**
 * The stage's access log line (lib/constructs/access-log-format.ts) as API Gateway writes it for
 * one authorized request, in `format`: each `$context` variable replaced by a value of the length
 * AWS sends (a request id is a UUID, a time is `dd/MMM/yyyy:HH:mm:ss +0000`, …), the key and
 * organization ids those of the bench's own key, and `-` where API Gateway has no value (no X-Ray
 * trace when tracing is off, no error on success). Its bytes are what CloudWatch Logs ingests for
 * the request.
 */
export function accessLogLine(request: {
  format: AccessLogFormatName;
  method: string;
  resource: string;
  path: string;
  apiKeyId: string;
  organizationId: string;
  tracing: boolean;
}): string {
  const values: Record<string, string> = {
    '$context.apiId': 'a1b2c3d4e5',
    '$context.stage': 'prod',
    '$context.requestId': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    '$context.extendedRequestId': 'BQGojGfaIAMFWtg=',
    '$context.xrayTraceId': request.tracing ? '1-6753f8a0-2b1f6c0e9d4a7b3c5e8f1a2b' : '-',
    '$context.requestTime': '07/Dec/2026:08:00:00 +0000',
    '$context.requestTimeEpoch': '1796630400000',
    '$context.identity.sourceIp': '203.0.113.17',
    '$context.identity.userAgent': 'python-requests/2.32.3',
    '$context.httpMethod': request.method,
    '$context.resourcePath': request.resource,
    '$context.path': `/prod${request.path}`,
    '$context.protocol': 'HTTP/1.1',
    '$context.status': '200',
    '$context.responseLength': '412',
    '$context.responseLatency': '38',
    '$context.integration.status': '200',
    '$context.integration.latency': '21',
    '$context.authorizer.api_key_id': request.apiKeyId,
    '$context.authorizer.organization_id': request.organizationId,
    '$context.authorizer.principalId': request.apiKeyId,
    '$context.authorizer.code': '-',
    '$context.authorizer.status': '200',
    '$context.authorizer.latency': '9',
    '$context.authorizer.error': '-',
    '$context.error.responseType': '-',
    '$context.error.message': '-',
  };
  for (const variable of accessLogFormatString(request.format).match(/\$context\.[A-Za-z_.]+/g) ?? []) {
    if (values[variable] === undefined) throw new Error(`the bench has no sample value for ${variable} of the access log format`);
  }
  return renderAccessLine(request.format, values);
}
