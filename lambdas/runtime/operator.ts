import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type HotItemRewrite, rewriteHotPermissions } from '../adapters/dynamodb/hot-item-migration';
import { DynamoDbKeyStore } from '../adapters/dynamodb/key-store';
import { backfillMemberships, type MembershipBackfill } from '../adapters/dynamodb/membership-backfill';
import { listOrganizationSummaries, type OrganizationSummary } from '../adapters/dynamodb/organization-summaries';
import { systemClock } from '../domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../domain/permissions';
import { DEFAULT_PLANS, effectivePlanName, type PlansConfig } from '../domain/plans';
import type { KeyStore, Mailer, QuotaUsage, RetirementScheduler, SecretBox, UsageIdentifiers } from '../domain/ports';
import { DEFAULT_KEY_PREFIX } from '../domain/token';
import { DynamoDbDeliveryLedger } from '../notifications/dynamodb-delivery-ledger';
import { DynamoDbUndeliveredLog } from '../notifications/dynamodb-undelivered-log';
import { createDelivery } from '../notifications/notifier';
import { createEventRedrive } from '../notifications/redrive';
import type { UndeliveredLog } from '../notifications/undelivered-log';
import { createRemindHandler, createRetireHandler } from '../service/job-handlers';
import type { JobRunner } from '../service/job-redrive';
import type { ItemKey } from '../table/layout';
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
   * API serves (`keyward migrate`, and every `npm start`): the membership items of `GET /v1/me`,
   * and with `usageIdentifiers` (AWS with plans) every organization's usage identifier (API.md §9):
   * made in its plan's usage plan when it has none, and put on the hot item of each of its keys;
   * and the hot items' permissions in their compact encoding (hot-item-migration.ts).
   */
  migrate(): Promise<{
    memberships: MembershipBackfill;
    hot_items: HotItemRewrite;
    usage_identifiers?: { created: number; organizations: number };
  }>;
  /** Every organization with its counts (`keyward org list`; reads the whole table). */
  organizationSummaries(): Promise<OrganizationSummary[]>;
  /** Where the notifier noted the records it failed on. */
  undelivered: UndeliveredLog;
  /** Re-reads one audit event from the table and mails it through `mailer`, at most once (the delivery ledger). */
  eventRedrive(mailer: Mailer): (key: ItemKey) => Promise<boolean>;
  /** Runs a lifecycle job here with the retire or remind function's own handler (`keyward jobs redrive` on the local stack). */
  runJob: JobRunner;
  close(): void;
}

export function createOperator(options: {
  tableName: string;
  secrets: SecretBox;
  /** The SDK client settings; for the local stack, its DynamoDB Local endpoint and key id. @default AWS */
  dynamodb?: DynamoDBClientConfig;
  keyPrefix?: string;
  catalog?: readonly string[];
  /** Needed by scheduled rotations (`keys rotate --expires-in 1h`…) and to remove a deleted key's job. */
  scheduler?: RetirementScheduler;
  /** The deployment's plans, for `org set-plan`. @default DEFAULT_PLANS */
  plans?: PlansConfig;
  /** Where organizations' usage identifiers live (API Gateway, when the stack has plans). @default none */
  usageIdentifiers?: UsageIdentifiers;
  /** Where `quota_used` is read, given the store (API Gateway, when the stack has plans). @default the local gateway's counters */
  quotaUsage?: (store: KeyStore) => QuotaUsage;
}): Operator {
  const db = documentClient(options.dynamodb);
  const store = new DynamoDbKeyStore(db, options.tableName);
  const services = createServices({
    store,
    secrets: options.secrets,
    clock: systemClock,
    scheduler: options.scheduler,
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    catalog: options.catalog ?? DEFAULT_RESOURCE_CATALOG,
    ...(options.plans ? { plans: options.plans } : {}),
    ...(options.usageIdentifiers ? { usageIdentifiers: options.usageIdentifiers } : {}),
    ...(options.quotaUsage ? { quotaUsage: options.quotaUsage(store) } : {}),
  });
  const plans = options.plans ?? DEFAULT_PLANS;

  /** Every organization with its usage identifier, on its hot items too; idempotent. */
  async function backfillUsageIdentifiers(identifiers: UsageIdentifiers): Promise<{ created: number; organizations: number }> {
    let created = 0;
    const organizations = await listOrganizationSummaries(db, options.tableName, systemClock.now());
    for (const { id } of organizations) {
      let identifier = await store.getUsageIdentifier(id);
      if (!identifier) {
        const plan = effectivePlanName(plans, await store.getPlan(id));
        identifier = await identifiers.create(id, plan);
        created++;
        await store.setUsageIdentifier(id, identifier);
        // A set-plan meanwhile found no identifier to move: follow the plan it wrote.
        const now = effectivePlanName(plans, await store.getPlan(id));
        if (now !== plan) await identifiers.move(identifier, now);
        continue;
      }
      await store.setUsageIdentifier(id, identifier);
    }
    return { created, organizations: organizations.length };
  }
  const retire = createRetireHandler({ store, clock: systemClock });
  const remind = createRemindHandler({ store, clock: systemClock });
  return {
    store,
    ...services,
    migrate: async () => ({
      memberships: await backfillMemberships(db, options.tableName),
      hot_items: await rewriteHotPermissions(db, options.tableName),
      ...(options.usageIdentifiers ? { usage_identifiers: await backfillUsageIdentifiers(options.usageIdentifiers) } : {}),
    }),
    organizationSummaries: () => listOrganizationSummaries(db, options.tableName, systemClock.now()),
    undelivered: new DynamoDbUndeliveredLog(db, options.tableName),
    eventRedrive: (mailer) =>
      createEventRedrive({
        readItem: async (key) => (await db.send(new GetCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }))).Item,
        deliver: createDelivery({ store, mailer, ledger: new DynamoDbDeliveryLedger(db, options.tableName), clock: systemClock }),
      }),
    runJob: (job) => (job.kind === 'retire' ? retire(job.payload) : remind(job.payload)),
    close: () => db.destroy(),
  };
}
