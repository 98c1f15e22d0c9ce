import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../lambdas/adapters/dynamodb/key-store';
import { systemClock } from '../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../lambdas/domain/permissions';
import type { KeyStore, SecretBox } from '../lambdas/domain/ports';
import { DEFAULT_KEY_PREFIX } from '../lambdas/domain/token';
import { ApiKeyService } from '../lambdas/service/api-key-service';
import { OrganizationService } from '../lambdas/service/organization-service';
import { localClientConfig } from './dynamodb-local';

/**
 * The operator use cases (organizations and members) wired straight to the table: used by the
 * `keyward` CLI and by the local runtime's first-start seed. In AWS mode (`endpoint` undefined)
 * the SDK's default credential chain and region apply.
 */
export interface Operator {
  store: KeyStore;
  organizations: OrganizationService;
  close(): void;
}

export function createOperator(options: {
  tableName: string;
  secrets: SecretBox;
  /** DynamoDB Local's endpoint; undefined for AWS. */
  endpoint?: string;
  /** The key id that opens the local stack's database (`runtime.json`), with `endpoint`. */
  accessKeyId?: string;
  keyPrefix?: string;
  catalog?: readonly string[];
}): Operator {
  const client = new DynamoDBClient(options.endpoint ? localClientConfig(options.endpoint, options.accessKeyId) : {});
  const store = new DynamoDbKeyStore(DynamoDBDocumentClient.from(client), options.tableName);
  const catalog = options.catalog ?? DEFAULT_RESOURCE_CATALOG;
  const keys = new ApiKeyService({
    store,
    secrets: options.secrets,
    clock: systemClock,
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    catalog,
  });
  return {
    store,
    organizations: new OrganizationService(store, keys, systemClock, catalog),
    close: () => client.destroy(),
  };
}
