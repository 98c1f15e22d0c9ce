import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { LocalSecretBox } from '../../../lambdas/adapters/local-secret-box';
import type { ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import { systemClock } from '../../../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../../../lambdas/domain/permissions';
import { type Entry, OPERATION_LIST, OPERATIONS, type Operation } from '../../../lambdas/operations/manifest';
import type { ManagementHandler } from '../../../lambdas/operations/stack';
import { documentClient } from '../../../lambdas/runtime/clients';
import { createServices, type Services } from '../../../lambdas/runtime/services';
import { generateSigner, type LeakReport, reportBody, type ScanningSigner, signatureHeaders } from '../../../local/secret-scanning';
import { type AdminAuthorizerContext, lambdaContext, parseResult, restProxyEvent } from '../../support/api-gateway-events';
import { createTestTable } from '../../support/dynamodb';
import { dynamoRequests } from '../../support/dynamodb-requests';
import { KeyDocumentServer } from '../../support/secret-scanning';

export type { Entry } from '../../../lambdas/operations/manifest';

export const KEY_PREFIX = 'kwt';

/** The success body of an operation, as its manifest row's response schema types it. */
export type SuccessBody<E extends Entry> = z.infer<(typeof OPERATIONS)[E]['response']>;
export type KeyListBody = SuccessBody<'list-api-keys'>;
export type AuditListBody = SuccessBody<'list-audit-events'>;

/** The operations behind the admin authorizer's organization check. */
export const ORGANIZATION_ENTRIES: readonly Entry[] = OPERATION_LIST.filter((operation) => operation.auth === 'organization-admin').map(
  (operation) => operation.entry,
);

export interface CallInput {
  /** The `{organization_id}` of the path, for the operations that have one. */
  organizationId?: string;
  apiKeyId?: string;
  body?: unknown;
  base64?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Defaults to the organization's admin; without an organization, to no authorizer context. */
  as?: AdminAuthorizerContext | null;
}

export interface Response<T = Record<string, unknown>> {
  statusCode: number;
  headers: Record<string, string>;
  body: T;
}

export interface SeededOrganization {
  id: string;
  admin: AdminAuthorizerContext;
  member: AdminAuthorizerContext;
  firstKey: ApiKeyWithValue;
}

/** What the operations used while they ran, by entry: IAM actions on the table, KMS and scheduler uses. */
export interface Usage {
  table: Set<string>;
  kms: Set<'encrypt' | 'decrypt'>;
  schedules: Set<'schedule' | 'cancel'>;
}

/** The manifest row whose grants a handler invocation runs with (its own, unless a test says otherwise). */
const running = new AsyncLocalStorage<Entry>();

/** What IAM would answer: the request is outside what the role of the running operation allows. */
class AccessDenied extends Error {
  override readonly name = 'AccessDeniedException';
}

const KMS_USES = { encrypt: 'encrypt', decrypt: 'decrypt' } as const;
const SCHEDULER_USES = {
  scheduleRetirement: 'schedule',
  cancelRetirement: 'cancel',
  scheduleReminder: 'schedule',
  cancelReminder: 'cancel',
} as const;
/** Which schedule uses each `schedules` grant allows (EventBridge Scheduler Create/DeleteSchedule). */
const SCHEDULES_ALLOWED: Record<NonNullable<Operation['schedules']>, readonly string[]> = {
  manage: ['schedule', 'cancel'],
  remove: ['cancel'],
};

/**
 * The real handler modules on a fresh DynamoDB Local table, loaded after the environment they read
 * at module load is in place, plus the store and services to seed and inspect state.
 *
 * Every invocation runs with only what its manifest row grants, as its function's IAM role would
 * allow in AWS: the handlers' DynamoDB client carries an IAM-like guard that maps each command
 * (each item of a transaction) to its IAM action and refuses, as AccessDeniedException, any action
 * the row does not list; the local secret box and scheduler refuse a use the row's `kms` and
 * `schedules` do not allow. What each operation did use is recorded (`usage`), so a test can also
 * prove that every grant is needed.
 */
export interface HarnessOptions {
  /**
   * The handlers' log level. Below SILENT, they log through the global `console` (Powertools'
   * dev mode), where a test can watch for lines of that level. @default 'SILENT'
   */
  logLevel?: 'SILENT' | 'ERROR';
}

export class HandlerHarness {
  readonly usage = new Map<Entry, Usage>();
  /** What the guards refused, in order. */
  readonly denials: string[] = [];

  private constructor(
    private readonly handlers: Record<Entry, ManagementHandler>,
    readonly store: DynamoDbKeyStore,
    readonly keys: Services['keys'],
    readonly orgs: Services['organizations'],
    /** Where rotate writes its retirement jobs (the local scheduler's directory). */
    readonly scheduleDir: string,
    readonly tableName: string,
    /** The DynamoDB client the handlers send with, so a test can watch what they send. */
    readonly handlerDynamoDb: DynamoDBDocumentClient,
    /** The signer the secret-scanning handler trusts (its key document is served over HTTP). */
    readonly signer: ScanningSigner,
    readonly keyDocument: KeyDocumentServer,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<HandlerHarness> {
    const table = await createTestTable();
    const masterKey = randomBytes(32).toString('base64');
    const scheduleDir = mkdtempSync(join(tmpdir(), 'keyward-jobs-'));
    const logLevel = options.logLevel ?? 'SILENT';
    const signer = generateSigner();
    const keyDocument = await KeyDocumentServer.start([signer]);
    Object.assign(process.env, {
      SECRET_SCANNING_KEYS_URL: keyDocument.url,
      TABLE_NAME: table.tableName,
      LOCAL_MASTER_KEY: masterKey,
      KEY_PREFIX,
      LOCAL_SCHEDULE_DIR: scheduleDir,
      POWERTOOLS_LOG_LEVEL: logLevel,
    });
    if (logLevel === 'SILENT') delete process.env.POWERTOOLS_DEV;
    else process.env.POWERTOOLS_DEV = 'true';
    delete process.env.KMS_KEY_ID;
    delete process.env.RESOURCE_CATALOG;

    const handlers = {} as Record<Entry, ManagementHandler>;
    let handlerDynamoDb: DynamoDBDocumentClient | undefined;
    const adapters: { prototype: object }[] = [];
    jest.isolateModules(() => {
      for (const { entry } of OPERATION_LIST) {
        handlers[entry] = (require(`../../../lambdas/${entry}`) as { handler: ManagementHandler }).handler;
      }
      // The same registry as the handlers, so these are the very client and classes they use.
      handlerDynamoDb = (require('../../../lambdas/runtime/wiring') as typeof import('../../../lambdas/runtime/wiring')).functionTable().db;
      adapters.push(
        (require('../../../lambdas/adapters/local-secret-box') as typeof import('../../../lambdas/adapters/local-secret-box'))
          .LocalSecretBox,
      );
    });
    // The scheduler module is imported dynamically on first use, which resolves outside the isolated registry.
    adapters.push(
      (
        require('../../../lambdas/adapters/local-retirement-scheduler') as typeof import('../../../lambdas/adapters/local-retirement-scheduler')
      ).LocalRetirementScheduler,
    );

    const db = documentClient(table.clientConfig);
    const store = new DynamoDbKeyStore(db, table.tableName);
    const services = createServices({
      store,
      secrets: new LocalSecretBox(masterKey),
      clock: systemClock,
      keyPrefix: KEY_PREFIX,
      catalog: DEFAULT_RESOURCE_CATALOG,
    });
    const harness = new HandlerHarness(
      handlers,
      store,
      services.keys,
      services.organizations,
      scheduleDir,
      table.tableName,
      handlerDynamoDb!,
      signer,
      keyDocument,
      async () => {
        db.destroy();
        await keyDocument.stop();
        await table.drop();
        rmSync(scheduleDir, { recursive: true, force: true });
      },
    );
    harness.guardTable();
    for (const adapter of adapters) harness.guardAdapter(adapter.prototype);
    return harness;
  }

  stop(): Promise<void> {
    return this.cleanup();
  }

  private usageOf(entry: Entry): Usage {
    let usage = this.usage.get(entry);
    if (!usage) {
      usage = { table: new Set(), kms: new Set(), schedules: new Set() };
      this.usage.set(entry, usage);
    }
    return usage;
  }

  private deny(message: string): AccessDenied {
    this.denials.push(message);
    return new AccessDenied(message);
  }

  /** The IAM-like guard on the handlers' DynamoDB client (see the class comment). */
  private guardTable(): void {
    this.handlerDynamoDb.middlewareStack.add(
      (next, context) => async (args) => {
        const entry = running.getStore();
        if (entry === undefined) return next(args);
        const granted: readonly string[] = OPERATIONS[entry].table;
        const requests = dynamoRequests([{ name: String(context.commandName), input: args.input as object }]);
        const denied = requests.filter((request) => !granted.includes(request.action.replace('dynamodb:', '')));
        if (denied.length > 0) {
          throw this.deny(`${entry} is not granted ${denied.map((request) => request.action).join(', ')} by its manifest row`);
        }
        for (const request of requests) this.usageOf(entry).table.add(request.action.replace('dynamodb:', ''));
        return next(args);
      },
      { step: 'initialize', name: 'manifestIamGuard' },
    );
  }

  /** Wraps an adapter class's methods once: inside an operation, a use its row does not allow is refused. */
  private guardAdapter(prototype: object): void {
    const methods = prototype as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [method, use] of [...Object.entries(KMS_USES), ...Object.entries(SCHEDULER_USES)]) {
      const original = methods[method];
      if (typeof original !== 'function') continue;
      const harness = this;
      methods[method] = async function (this: unknown, ...args: unknown[]) {
        const entry = running.getStore();
        if (entry !== undefined) {
          const row: Operation = OPERATIONS[entry];
          const isKms = use === 'encrypt' || use === 'decrypt';
          const allowed = isKms ? row.kms === use : row.schedules !== undefined && SCHEDULES_ALLOWED[row.schedules].includes(use);
          if (!allowed) throw harness.deny(`${entry} may not ${use} (${isKms ? 'kms' : 'schedules'} in its manifest row)`);
          const usage = harness.usageOf(entry);
          if (isKms) usage.kms.add(use);
          else usage.schedules.add(use as 'schedule' | 'cancel');
        }
        return original.apply(this, args);
      };
    }
  }

  /** An organization with one admin, one member, and its first key (created by the operator). */
  async seedOrganization(id: string): Promise<SeededOrganization> {
    const created = await this.orgs.create({ name: `Org ${id}`, id, admins: [`admin@${id}.test`] });
    await this.orgs.addMember(id, `member@${id}.test`, 'member');
    return {
      id,
      admin: { email: `admin@${id}.test`, role: 'admin' },
      member: { email: `member@${id}.test`, role: 'member' },
      firstKey: created.api_key,
    };
  }

  /**
   * Invokes one handler with an event as given, with the grants of its own row (or, to prove the
   * guard refuses, of another one).
   */
  invoke(entry: Entry, event: APIGatewayProxyEvent, grants: Entry = entry): Promise<APIGatewayProxyResult> {
    return running.run(grants, () => this.handlers[entry](event, lambdaContext(entry)));
  }

  /** Invokes one handler with a REST v1 proxy event for its route, as API Gateway would. */
  async call<T = Record<string, unknown>>(entry: Entry, input: CallInput, options: { grants?: Entry } = {}): Promise<Response<T>> {
    const operation = OPERATIONS[entry];
    const pathParameters: Record<string, string> = {};
    if (input.organizationId !== undefined) pathParameters.organization_id = input.organizationId;
    if (input.apiKeyId !== undefined) pathParameters.api_key_id = input.apiKeyId;
    const defaultCaller = input.organizationId === undefined ? null : { email: `admin@${input.organizationId}.test`, role: 'admin' };
    const event = restProxyEvent({
      method: operation.method,
      resource: operation.path,
      pathParameters,
      query: input.query,
      headers: input.headers,
      body: input.body,
      base64: input.base64,
      authorizer: input.as === undefined ? defaultCaller : input.as,
    });
    return parseResult<T>(await this.invoke(entry, event, options.grants));
  }

  /** Posts a secret-scanning report signed as GitHub signs one (by `signer`, default the trusted one). */
  async reportLeaks<T = { token_hash: string; token_type: string; label: string }[]>(
    items: readonly LeakReport[] | string,
    options: { signer?: ScanningSigner; headers?: Record<string, string> } = {},
  ): Promise<Response<T>> {
    const body = typeof items === 'string' ? items : reportBody(items);
    const event = restProxyEvent({
      method: 'POST',
      resource: OPERATIONS['report-secret-scanning'].path,
      headers: options.headers ?? signatureHeaders(body, options.signer ?? this.signer),
      body,
      authorizer: null,
    });
    return parseResult<T>(await this.invoke('report-secret-scanning', event));
  }

  async listKeys(organizationId: string) {
    return (await this.keys.list(organizationId, { limit: 100 })).items;
  }

  async auditTypes(organizationId: string): Promise<string[]> {
    return (await this.keys.listAuditEvents(organizationId, { limit: 100 })).items.map((event) => event.type);
  }
}
