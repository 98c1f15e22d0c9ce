/**
 * The custom metrics keyward publishes (CloudWatch embedded metric format, through Powertools
 * Metrics), named once for the functions that emit them and for the CDK alarms and dashboard
 * that read them (lib/constructs/observability.ts). No import: lib/ and the authorizer's bundle
 * both take it as is.
 *
 * Every metric carries the dimensions `service` (Powertools' default, `POWERTOOLS_SERVICE_NAME`)
 * and `FunctionName` (the emitting function), so two stages or two authorizers in one account stay
 * apart. The only other dimensions are small closed sets (a deny code, an unauthorized reason):
 * never a key, an organization or anything else a caller can multiply (cardinality is billed).
 */

/** The CloudWatch namespace of keyward's own metrics. */
export const METRICS_NAMESPACE = 'keyward';

/** `POWERTOOLS_SERVICE_NAME` of every keyward function, and so the `service` dimension. */
export const SERVICE_NAME = 'keyward';

/** The dimension naming the emitting function (its physical name, as in `AWS/Lambda`). */
export const FUNCTION_DIMENSION = 'FunctionName';

/** The api-key authorizer's decisions (API.md §1), one count per request. */
export const AUTHORIZER_METRICS = {
  /** Allowed: the key may use the route. */
  allowed: 'Authorized',
  /** Answered 403; also published per `code` (DENY_CODE_DIMENSION). */
  denied: 'Denied',
  /** Answered 401; also published per `reason` (UNAUTHORIZED_REASON_DIMENSION). */
  unauthorized: 'Unauthorized',
} as const;

/** The deny code (`route_not_allowed`, `<resource>_read_not_allowed`, …): bounded by the resource catalog. */
export const DENY_CODE_DIMENSION = 'code';

/** Why a request was answered 401: `missing`, `malformed`, `unknown`, `expired`. */
export const UNAUTHORIZED_REASON_DIMENSION = 'reason';

/** The notifier's permanent failures: an email SES refused (e.g. an unverified recipient in the SES sandbox). */
export const NOTIFIER_METRICS = {
  emailsRejected: 'EmailsRejected',
} as const;
