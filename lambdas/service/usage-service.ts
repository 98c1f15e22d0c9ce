import type { Clock } from '../domain/clock';
import { ValidationFailed } from '../domain/errors';
import type { KeyStore } from '../domain/ports';
import { BUCKET_MS, bucketStart, type UsageBucket, type UsageGranularity, usageRangeProblem } from '../domain/usage';

/** A usage question as the API and the CLI take it (API.md §9): ISO instants, both optional. */
export interface UsageRequest {
  from?: string | undefined;
  to?: string | undefined;
  granularity: UsageGranularity;
  api_key_id?: string | undefined;
}

/** Without `from`: this many buckets before `to` (a day of hours, 30 days). */
const DEFAULT_SPAN_MS: Readonly<Record<UsageGranularity, number>> = { hour: 24 * BUCKET_MS.hour, day: 30 * BUCKET_MS.day };

/**
 * An organization's usage (`GET /v1/organizations/{organization_id}/usage`, `keyward usage`): the
 * counters the aggregator keeps from the access log, per key and bucket, oldest first. `from` is
 * rounded down to its bucket; a range over the per-call limit, or empty, is a 422 naming the field.
 */
export class UsageService {
  constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
  ) {}

  async list(organizationId: string, request: UsageRequest): Promise<UsageBucket[]> {
    const { granularity } = request;
    const to = request.to === undefined ? this.clock.now() : new Date(request.to);
    const requestedFrom = request.from === undefined ? to.getTime() - DEFAULT_SPAN_MS[granularity] : Date.parse(request.from);
    const from = new Date(bucketStart(requestedFrom, granularity));
    const query = { from, to, granularity, apiKeyId: request.api_key_id };
    const problem = usageRangeProblem(query);
    if (problem) throw new ValidationFailed({ [problem.field]: [problem.reason] });
    return this.store.listUsage(organizationId, query);
  }
}
