import { DEFAULT_PLANS, type PlansConfig } from '../domain/plans';
import type { QuotaUsage, UsageIdentifiers } from '../domain/ports';
import { ApiKeyService, type ApiKeyServiceDeps } from '../service/api-key-service';
import { LeakService } from '../service/leak-service';
import { OrganizationService } from '../service/organization-service';
import { SettingsService } from '../service/settings-service';
import { UsageService } from '../service/usage-service';

/** The use cases, as every caller gets them: Lambda functions, the operator CLI, the local seed, tests. */
export interface Services {
  keys: ApiKeyService;
  organizations: OrganizationService;
  settings: SettingsService;
  leaks: LeakService;
  usage: UsageService;
}

/**
 * The one place the services are built from their ports (DESIGN.md "Ports and adapters"). Pure
 * composition: which adapters fill the ports is the caller's choice (wiring.ts for a Lambda
 * function, operator.ts for the CLI, fakes or DynamoDB Local in tests).
 */
export function createServices(
  deps: ApiKeyServiceDeps & { plans?: PlansConfig; usageIdentifiers?: UsageIdentifiers; quotaUsage?: QuotaUsage },
): Services {
  const keys = new ApiKeyService(deps);
  const plans = deps.plans ?? DEFAULT_PLANS;
  const usageIdentifiers = deps.usageIdentifiers && { identifiers: deps.usageIdentifiers, defaultPlan: plans.default_plan };
  return {
    keys,
    organizations: new OrganizationService(deps.store, keys, deps.clock, deps.catalog, usageIdentifiers),
    settings: new SettingsService(deps.store, deps.clock, deps.newId, plans, deps.usageIdentifiers, deps.quotaUsage),
    leaks: new LeakService({ store: deps.store, keys, clock: deps.clock, keyPrefix: deps.keyPrefix }),
    usage: new UsageService(deps.store, deps.clock),
  };
}
