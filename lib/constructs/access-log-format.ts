import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ACCESS_LOG_FIELDS } from '../../lambdas/observability/access-log-fields';

/** The access log line's fields (declared with the lambdas: the local gateway and the usage aggregator read them too). */
export { ACCESS_LOG_FIELDS };

/** The gateway response types (`error_type`) of a request the authorizer failed: the client got 500. */
export const AUTHORIZER_FAILURE_TYPES = ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR'] as const;

export function keywardAccessLogFormat(): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS));
}
