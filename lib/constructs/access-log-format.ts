import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  type AccessLogFormatName,
  accessLogFormatString,
  DEFAULT_ACCESS_LOG_FORMAT,
  FULL_ACCESS_LOG_FIELDS,
  LEAN_ACCESS_LOG_FIELDS,
  LEAN_FIELD_ORDER,
  type LeanField,
} from '../../lambdas/observability/access-log-fields';

/** The access log line's fields (declared with the lambdas: the local gateway and the usage aggregator read them too). */
export { type AccessLogFormatName, FULL_ACCESS_LOG_FIELDS, LEAN_ACCESS_LOG_FIELDS, LEAN_FIELD_ORDER, type LeanField };

/** The gateway response types (`e`) of a request the authorizer failed: the client got 500. */
export const AUTHORIZER_FAILURE_TYPES = ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'] as const;

/** Those two in one filter term (a lean line's filter matches one column against one value). */
export const AUTHORIZER_FAILURE_WILDCARD = 'AUTHORIZER_*';

/** A stage's access log format: `lean` (what the usage counts and alarms read) or `full` (the same, plus forensic fields). */
export function keywardAccessLogFormat(format: AccessLogFormatName = DEFAULT_ACCESS_LOG_FORMAT): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(accessLogFormatString(format));
}
