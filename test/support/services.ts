import type { Clock } from '../../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import type { KeyStore, RetirementScheduler } from '../../lambdas/domain/ports';
import { ApiKeyService } from '../../lambdas/service/api-key-service';
import { OrganizationService } from '../../lambdas/service/organization-service';
import { InMemoryScheduler, plainSecretBox } from './fakes';

/**
 * The management services as tests seed data with: the default catalog, prefix `kw`, a test
 * SecretBox, and an in-memory scheduler unless one is given.
 */
export function testServices(
  store: KeyStore,
  clock: Clock,
  scheduler: RetirementScheduler = new InMemoryScheduler(),
): { keys: ApiKeyService; organizations: OrganizationService } {
  const keys = new ApiKeyService({ store, secrets: plainSecretBox, clock, scheduler, keyPrefix: 'kw', catalog: DEFAULT_RESOURCE_CATALOG });
  return { keys, organizations: new OrganizationService(store, keys, clock, DEFAULT_RESOURCE_CATALOG) };
}
