import { type APIGatewayClient, GetUsageCommand } from '@aws-sdk/client-api-gateway';
import type { QuotaUsage, UsageIdentifier } from '../domain/ports';

/** A UTC day as GetUsage takes it: `yyyy-MM-dd`. */
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * `quota_used` in AWS (API.md §9): what API Gateway counted for the organization's usage
 * identifier in its plan's usage plan (GetUsage, one entry per UTC day, `[used, remaining]`), from
 * the window's first day to today, summed. API Gateway's quota windows are UTC days, weeks from
 * Monday (the usage plans' quota offset) and calendar months, as `quotaWindowStart` computes them.
 * `usagePlanIds` maps each plan to its usage plan (the stack's `USAGE_PLAN_IDS`); `identifierOf`
 * reads the organization's identifier (none: null, since a shared fallback's count is not the
 * organization's).
 */
export class ApiGatewayQuotaUsage implements QuotaUsage {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly usagePlanIds: Readonly<Record<string, string>>,
    private readonly identifierOf: (organizationId: string) => Promise<UsageIdentifier | undefined>,
  ) {}

  async used(organizationId: string, plan: string, windowStart: Date, at: Date): Promise<number | null> {
    const usagePlanId = this.usagePlanIds[plan];
    if (!usagePlanId) throw new Error(`no usage plan for the plan "${plan}" in USAGE_PLAN_IDS`);
    const identifier = await this.identifierOf(organizationId);
    if (!identifier) return null;
    let total = 0;
    let position: string | undefined;
    do {
      const page = await this.client.send(
        new GetUsageCommand({ usagePlanId, keyId: identifier.id, startDate: utcDay(windowStart), endDate: utcDay(at), position }),
      );
      for (const [used] of page.items?.[identifier.id] ?? []) total += used ?? 0;
      position = page.position;
    } while (position);
    return total;
  }
}
