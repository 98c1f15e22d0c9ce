import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  ACCESS_LOG_FORMATS,
  type AccessLogFormatName,
  DEFAULT_ACCESS_LOG_FORMAT,
  FULL_ACCESS_LOG_FIELDS,
  LEAN_ACCESS_LOG_FIELDS,
} from '../../lambdas/observability/access-log-fields';

/** The access log line's fields (declared with the lambdas: the local gateway and the usage aggregator read them too). */
export { type AccessLogFormatName, FULL_ACCESS_LOG_FIELDS, LEAN_ACCESS_LOG_FIELDS };

/** The gateway response types (`e`) of a request the authorizer failed: the client got 500. */
export const AUTHORIZER_FAILURE_TYPES = ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'] as const;

/** A stage's access log format: `lean` (what the usage counts and alarms read) or `full` (plus forensic fields). */
export function keywardAccessLogFormat(format: AccessLogFormatName = DEFAULT_ACCESS_LOG_FORMAT): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMATS[format]));
}
