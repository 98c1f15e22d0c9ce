import type { Clock } from '../../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import type { KeyStore, RetirementScheduler } from '../../lambdas/domain/ports';
import { createServices, type Services } from '../../lambdas/runtime/services';
import { InMemoryScheduler, plainSecretBox } from './fakes';

/**
 * The services as tests seed data with (runtime/services.ts builds them, as for every caller): the
 * default catalog, prefix `kw`, a test SecretBox, and an in-memory scheduler unless one is given.
 */
export function testServices(store: KeyStore, clock: Clock, scheduler: RetirementScheduler = new InMemoryScheduler()): Services {
  return createServices({ store, secrets: plainSecretBox, clock, scheduler, keyPrefix: 'kw', catalog: DEFAULT_RESOURCE_CATALOG });
}
