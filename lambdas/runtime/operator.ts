import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDbKeyStore } from '../adapters/dynamodb/key-store';
import { backfillMemberships, type MembershipBackfill } from '../adapters/dynamodb/membership-backfill';
import { systemClock } from '../domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../domain/permissions';
import type { KeyStore, SecretBox } from '../domain/ports';
import { DEFAULT_KEY_PREFIX } from '../domain/token';
import { documentClient } from './clients';
import { createServices, type Services } from './services';

/**
 * The operator's services wired straight to the table: the production `keyward` CLI (bin/cli.ts),
 * the local runtime's first-start seed and the e2e tests' set-up use them. In AWS (`dynamodb`
 * undefined) the SDK's default credential chain and region apply.
 */
export interface Operator extends Services {
  store: KeyStore;
  /**
   * Brings data an earlier version wrote up to this version's layout; idempotent, safe while the
   * API serves (`keyward migrate`, and every `npm start`). Today: the membership items of `GET /v1/me`.
   */
  migrate(): Promise<{ memberships: MembershipBackfill }>;
  close(): void;
}

export function createOperator(options: {
  tableName: string;
  secrets: SecretBox;
  /** The SDK client settings; for the local stack, its DynamoDB Local endpoint and key id. @default AWS */
  dynamodb?: DynamoDBClientConfig;
  keyPrefix?: string;
  catalog?: readonly string[];
}): Operator {
  const db = documentClient(options.dynamodb);
  const store = new DynamoDbKeyStore(db, options.tableName);
  const services = createServices({
    store,
    secrets: options.secrets,
    clock: systemClock,
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    catalog: options.catalog ?? DEFAULT_RESOURCE_CATALOG,
  });
  return {
    store,
    ...services,
    migrate: async () => ({ memberships: await backfillMemberships(db, options.tableName) }),
    close: () => db.destroy(),
  };
}
