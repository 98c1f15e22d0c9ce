import { LocalSecretBox } from '../lambdas/adapters/local-secret-box';
import { OrganizationAlreadyExists } from '../lambdas/domain/errors';
import { keyConfig } from '../lambdas/runtime/config';
import { createOperator } from '../lambdas/runtime/operator';
import { localClientConfig } from './dynamodb-local';
import { LOCAL_TABLE_NAME } from './state';

export const DEMO_ORGANIZATION = { id: 'demo', name: 'Demo', admin: 'admin@demo.test' } as const;

export interface DemoSeed {
  /** The demo key's id (the oldest key of `demo`), if it still has one. */
  apiKeyId: string | undefined;
  /** The demo key's token: only known when this start created it. */
  apiKey: string | undefined;
}

/**
 * Brings the state an earlier version left up to date (operator.migrate, idempotent), then, on the
 * first start only, seeds organization `demo` with admin `admin@demo.test` and its first key,
 * through the operator use cases, as `keyward org create` would. Later starts find it and only
 * read which key is the demo key.
 */
export async function seedDemo(options: { endpoint: string; accessKeyId: string; masterKey: string }): Promise<DemoSeed> {
  const operator = createOperator({
    tableName: LOCAL_TABLE_NAME,
    dynamodb: localClientConfig(options.endpoint, options.accessKeyId),
    secrets: new LocalSecretBox(options.masterKey),
    ...keyConfig(),
  });
  try {
    await operator.migrate();
    let apiKey: string | undefined;
    if (!(await operator.store.getOrganization(DEMO_ORGANIZATION.id))) {
      try {
        const created = await operator.organizations.create({
          name: DEMO_ORGANIZATION.name,
          id: DEMO_ORGANIZATION.id,
          admins: [DEMO_ORGANIZATION.admin],
        });
        apiKey = created.api_key.value;
      } catch (error) {
        if (!(error instanceof OrganizationAlreadyExists)) throw error;
      }
    }
    const oldest = await operator.store.listKeys(DEMO_ORGANIZATION.id, { limit: 1 });
    return { apiKeyId: oldest.items[0]?.id, apiKey };
  } finally {
    operator.close();
  }
}
