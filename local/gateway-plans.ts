import { effectivePlanName, type Plan, type PlansConfig, quotaWindowStart } from '../lambdas/domain/plans';
import { TokenBucket } from './gateway-limits';

/**
 * The organizations' plans on the local gateway, as API Gateway's usage plans apply them in AWS
 * (API.md §9): after the api-key authorizer allowed a request and before the backend, a token
 * bucket per organization (its plan's `rate`, filled up to `burst`) and a quota counter per UTC
 * day, ISO week or calendar month. Over the rate → 429 `throttled`; over the quota → 429
 * `quota_exceeded`. A request refused by the authorizer counts against neither, nor does a
 * throttled one against the quota.
 *
 * The plan is read from the organization item on every request (a plan change applies to the
 * next request, well within the contract's 60 s); the quota counters live in the table (so
 * `GET …/settings` reports `quota_used` and they survive a restart); the buckets live in memory.
 */

export type PlanOutcome = 'allowed' | 'throttled' | 'quota_exceeded';

export interface PlanEnforcerOptions {
  plans: PlansConfig;
  /** The plan named on the organization item (null: the default plan). */
  planOf(organizationId: string): Promise<string | null | undefined>;
  /** Counts one request in the window unless `limit` are counted already; false when over. */
  countQuota(organizationId: string, windowStart: Date, limit: number): Promise<boolean>;
  now?: () => Date;
  /** Monotonic milliseconds for the buckets. @default performance.now */
  clock?: () => number;
}

export class PlanEnforcer {
  private readonly buckets = new Map<string, { plan: Plan; bucket: TokenBucket }>();

  constructor(private readonly options: PlanEnforcerOptions) {}

  async admit(organizationId: string): Promise<PlanOutcome> {
    const { plans } = this.options;
    const plan = plans.plans[effectivePlanName(plans, await this.options.planOf(organizationId))]!;
    if (!this.bucketFor(organizationId, plan).take()) return 'throttled';
    if (plan.quota) {
      const windowStart = quotaWindowStart(plan.quota.period, (this.options.now ?? (() => new Date()))());
      if (!(await this.options.countQuota(organizationId, windowStart, plan.quota.limit))) return 'quota_exceeded';
    }
    return 'allowed';
  }

  /** The organization's bucket; a new one, full, when its plan changed (as a key moved to another usage plan). */
  private bucketFor(organizationId: string, plan: Plan): TokenBucket {
    const current = this.buckets.get(organizationId);
    if (current && current.plan === plan) return current.bucket;
    const bucket = new TokenBucket(plan.rate, plan.burst, this.options.clock);
    this.buckets.set(organizationId, { plan, bucket });
    return bucket;
  }
}
