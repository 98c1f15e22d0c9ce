import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from '../adapters/dynamodb/key-store';
import { LocalSecretBox } from '../adapters/local-secret-box';
import { NO_SECRET_BOX } from '../adapters/no-secret-box';
import { systemClock } from '../domain/clock';
import type { KeyStore, QuotaUsage, RetirementScheduler, SecretBox } from '../domain/ports';
import type { Operation } from '../operations/manifest';
import { documentClient } from './clients';
import { keyConfig, plansConfig, schedulerConfig, secretsConfig, tableConfig, usagePlanIdsConfig } from './config';
import { createServices, type Services } from './services';

/**
 * Composition root of the Lambda functions: what each one gets, from its environment. Whatever a
 * function reads is validated when it asks (at module load), so a bad deployment fails the cold
 * start. Clients are built once per execution environment; the KMS and Scheduler SDK modules are
 * imported dynamically, so a function that does not use them never loads them.
 */

function onceAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  // A failed build is retried on the next call instead of being cached forever.
  return () =>
    (pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

export interface FunctionTable {
  db: DynamoDBDocumentClient;
  store: KeyStore;
  tableName: string;
}

let table: FunctionTable | undefined;

/** The function's table (`TABLE_NAME`; `DYNAMODB_ENDPOINT` only in front of DynamoDB Local). */
export function functionTable(): FunctionTable {
  if (!table) {
    const { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint } = tableConfig();
    const db = documentClient(
      endpoint
        ? // DynamoDB Local (local runtime and tests): its database is chosen by the access key id.
          {
            endpoint,
            region: process.env.AWS_REGION ?? 'us-east-1',
            credentials: {
              accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
              secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
            },
          }
        : {},
    );
    table = { db, store: new DynamoDbKeyStore(db, tableName), tableName };
  }
  return table;
}

/** What an operation may use besides the table, as its manifest row declares (and IAM grants). */
export type Capabilities = Pick<Operation, 'kms' | 'schedules' | 'quotaUsage'>;

/**
 * KMS when `KMS_KEY_ID` is set (AWS), the local AES-256-GCM master key otherwise, able to do only
 * what the function may: the local stack has no IAM, so this is where it gets the same limits. The
 * local box is built at once, so a malformed master key fails the cold start; the KMS client waits
 * for first use.
 */
function secretBoxFor(use: NonNullable<Capabilities['kms']>): () => Promise<SecretBox> {
  const { KMS_KEY_ID: kmsKeyId, LOCAL_MASTER_KEY: masterKey } = secretsConfig();
  const restricted = (box: SecretBox) => restrictSecretBox(box, use);
  if (!kmsKeyId) {
    const local = restricted(new LocalSecretBox(masterKey!));
    return () => Promise.resolve(local);
  }
  return onceAsync(async () => {
    const [{ KMSClient }, { KmsSecretBox }] = await Promise.all([import('@aws-sdk/client-kms'), import('../adapters/kms-secret-box')]);
    return restricted(new KmsSecretBox(new KMSClient({}), kmsKeyId));
  });
}

/** A secret box that can only do what `use` allows (the other direction fails as NO_SECRET_BOX does). */
export function restrictSecretBox(box: SecretBox, use: NonNullable<Capabilities['kms']>): SecretBox {
  return use === 'encrypt'
    ? { encrypt: (plaintext, context) => box.encrypt(plaintext, context), decrypt: NO_SECRET_BOX.decrypt }
    : { encrypt: NO_SECRET_BOX.encrypt, decrypt: (ciphertext, context) => box.decrypt(ciphertext, context) };
}

/** A scheduler that can only do what `use` allows: `remove` (delete) cannot create a job. */
export function restrictScheduler(scheduler: RetirementScheduler, use: NonNullable<Capabilities['schedules']>): RetirementScheduler {
  if (use === 'manage') return scheduler;
  return {
    scheduleRetirement: () => Promise.reject(new Error('this function may only remove lifecycle jobs')),
    cancelRetirement: (job) => scheduler.cancelRetirement(job),
    scheduleReminder: () => Promise.reject(new Error('this function may only remove lifecycle jobs')),
    cancelReminder: (job) => scheduler.cancelReminder(job),
  };
}

function schedulerFor(use: NonNullable<Capabilities['schedules']>): () => Promise<RetirementScheduler | undefined> {
  const config = schedulerConfig();
  return onceAsync(async () => {
    if (config.kind === 'none') return undefined;
    const { createRetirementScheduler } = await import('./retirement-scheduler');
    const scheduler = createRetirementScheduler();
    return scheduler && restrictScheduler(scheduler, use);
  });
}

/**
 * Where `quota_used` is read: API Gateway's usage plans when the stack names them
 * (`USAGE_PLAN_IDS`, AWS with plans), else undefined, the local gateway's counters in the table
 * (the settings service's default). The SDK module is imported on first use.
 */
function quotaUsageFor(store: KeyStore): () => Promise<QuotaUsage | undefined> {
  const usagePlanIds = usagePlanIdsConfig();
  if (!usagePlanIds) return () => Promise.resolve(undefined);
  return onceAsync(async () => {
    const [{ APIGatewayClient }, { ApiGatewayQuotaUsage }] = await Promise.all([
      import('@aws-sdk/client-api-gateway'),
      import('../adapters/api-gateway-quota-usage'),
    ]);
    return new ApiGatewayQuotaUsage(new APIGatewayClient({}), usagePlanIds, (organizationId) => store.getUsageIdentifier(organizationId));
  });
}

/**
 * The services of one function, given what it may use. Call at module load: it validates the
 * configuration it needs at once and returns a getter that builds the services on first use.
 */
export function functionServices(capabilities: Capabilities): () => Promise<Services> {
  const { store } = functionTable();
  const { keyPrefix, catalog } = keyConfig();
  const secrets = capabilities.kms ? secretBoxFor(capabilities.kms) : () => Promise.resolve(NO_SECRET_BOX);
  const scheduler = capabilities.schedules ? schedulerFor(capabilities.schedules) : () => Promise.resolve(undefined);
  const quotaUsage = capabilities.quotaUsage ? quotaUsageFor(store) : () => Promise.resolve(undefined);
  return onceAsync(async () => {
    const [box, retirements, quota] = await Promise.all([secrets(), scheduler(), quotaUsage()]);
    return createServices({
      store,
      secrets: box,
      clock: systemClock,
      scheduler: retirements,
      keyPrefix,
      catalog,
      plans: plansConfig(),
      ...(quota ? { quotaUsage: quota } : {}),
    });
  });
}
