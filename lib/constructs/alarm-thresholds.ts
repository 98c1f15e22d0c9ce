/**
 * The thresholds, in one place for the alarms and docs/operating.md (which says why each is what it is).
 */
export const ALARM_THRESHOLDS = {
  /** Authorizer invocations that ended in a 500 for the client, per 5 minutes. */
  authorizerErrors: 5,
  /** Authorizer p99 duration (ms), 3 consecutive 5-minute periods. */
  authorizerP99Ms: 500,
  /** Throttled table requests per 5 minutes, 2 consecutive periods. */
  tableThrottles: 10,
  /** DynamoDB system errors (HTTP 500) per 5 minutes. */
  tableSystemErrors: 5,
  /** A stream consumer's lag (ms): the oldest record's age, 2 consecutive 5-minute periods. */
  streamIteratorAgeMs: 15 * 60 * 1000,
  /** Messages in a failure queue or the scheduler's DLQ. */
  queueDepth: 1,
  /** Retirement and reminder invocations the scheduler could not make or dropped, per 5 minutes. */
  schedulerFailures: 1,
  /** A function's invocations that failed (Lambda `Errors`), per 5 minutes. */
  functionErrors: 1,
  /** 5xx answers of the management API, per 5 minutes: a count, as admins make few requests. */
  management5xx: 1,
  /** 5xx share of the protected API's requests (%), 2 consecutive 5-minute periods … */
  api5xxPercent: 5,
  /** 429 share of the protected API's requests (%), 2 consecutive 5-minute periods … */
  api429Percent: 5,
  /** … each counted only when the period has at least this many requests. */
  apiRateMinRequests: 20,
  /** The account's concurrent executions, as a share of its limit (%), 5 consecutive minutes. */
  accountConcurrencyPercent: 80,
  /** SES bounce rate (fraction): SES reviews an account at 5 %. */
  sesBounceRate: 0.025,
  /** SES complaint rate (fraction): SES reviews an account at 0.1 %. */
  sesComplaintRate: 0.0005,
  /** Emails SES refused for good (e.g. the sandbox), per 5 minutes. */
  emailsRejected: 1,
} as const;
