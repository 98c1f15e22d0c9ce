import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyStore } from './adapters/dynamodb/key-store';
import { LocalSecretBox } from './adapters/local-secret-box';
import { NO_SECRET_BOX } from './adapters/no-secret-box';
import { keyConfig, schedulerConfig, secretsConfig, tableConfig } from './config';
import { systemClock } from './domain/clock';
import type { KeyStore, RetirementScheduler, SecretBox } from './domain/ports';
import { ApiKeyService } from './service/api-key-service';

/**
 * Composition root of the management handlers. Every management function uses the table and the
 * key settings, so those are read (and validated) at module load: a bad deployment fails the cold
 * start. Everything else is built once, on first use, and only in the functions that use it: the
 * KMS client exists only where tokens are encrypted or decrypted, the scheduler client only in
 * rotate and delete. The SDK modules behind them are imported dynamically so other functions never load them.
 */
const table = tableConfig();
export const keySettings = keyConfig();

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** Retries a failed async build on the next call instead of caching the failure forever. */
function onceAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

export const documentClient = once(() => {
  const endpoint = table.DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient(
    endpoint
      ? // DynamoDB Local (local runtime and tests): it accepts any credentials and region.
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
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});

export const keyStore = once((): KeyStore => new DynamoDbKeyStore(documentClient(), table.TABLE_NAME));

export type SecretsSettings = ReturnType<typeof secretsConfig>;

/**
 * KMS when `KMS_KEY_ID` is set (AWS), the local AES-256-GCM master key otherwise. The local box is
 * built at once, so a malformed master key fails the cold start; the KMS client waits for first use.
 */
function secretBoxFor(settings: SecretsSettings): () => Promise<SecretBox> {
  const { KMS_KEY_ID: kmsKeyId, LOCAL_MASTER_KEY: masterKey } = settings;
  if (!kmsKeyId) {
    const local = new LocalSecretBox(masterKey!);
    return () => Promise.resolve(local);
  }
  return onceAsync(async () => {
    const [{ KMSClient }, { KmsSecretBox }] = await Promise.all([import('@aws-sdk/client-kms'), import('./adapters/kms-secret-box')]);
    return new KmsSecretBox(new KMSClient({}), kmsKeyId);
  });
}

async function buildScheduler(): Promise<RetirementScheduler | undefined> {
  const { createRetirementScheduler } = await import('./adapters/retirement-scheduler');
  return createRetirementScheduler();
}

export interface ServiceNeeds {
  /** Encrypts (create, rotate) or decrypts (reveal) tokens. */
  secrets?: boolean;
  /** Schedules retirements and removes them (rotate), or removes them (delete). */
  scheduler?: boolean;
}

/**
 * The ApiKeyService for one handler, given what it needs. Call at module load: it validates the
 * needed configuration at once (a bad deployment fails the cold start) and returns a getter that
 * builds the service on first use.
 */
export function apiKeyService(needs: ServiceNeeds = {}): () => Promise<ApiKeyService> {
  const secretBox = needs.secrets ? secretBoxFor(secretsConfig()) : () => Promise.resolve(NO_SECRET_BOX);
  if (needs.scheduler) schedulerConfig();
  const scheduler = onceAsync(() => (needs.scheduler ? buildScheduler() : Promise.resolve(undefined)));
  return onceAsync(async () => {
    const [box, retirements] = await Promise.all([secretBox(), scheduler()]);
    return new ApiKeyService({
      store: keyStore(),
      secrets: box,
      clock: systemClock,
      scheduler: retirements,
      keyPrefix: keySettings.keyPrefix,
      catalog: keySettings.catalog,
    });
  });
}
