import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbKeyStore } from '../../../lambdas/adapters/dynamodb/key-store';
import { LocalSecretBox } from '../../../lambdas/adapters/local-secret-box';
import type { ApiKeyView, ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import type { AuditEventView } from '../../../lambdas/domain/audit-event';
import { systemClock } from '../../../lambdas/domain/clock';
import { DEFAULT_RESOURCE_CATALOG } from '../../../lambdas/domain/permissions';
import type { ManagementHandler } from '../../../lambdas/http/stack';
import { MANAGEMENT_ROUTES } from '../../../lambdas/management-api';
import { ApiKeyService } from '../../../lambdas/service/api-key-service';
import { OrganizationService } from '../../../lambdas/service/organization-service';
import { type AdminAuthorizerContext, lambdaContext, parseResult, restProxyEvent } from '../../support/api-gateway-events';
import { createTestTable } from '../../support/dynamodb';

export const KEY_PREFIX = 'kwt';

export type Entry =
  | 'list-api-keys'
  | 'create-api-key'
  | 'get-api-key'
  | 'reveal-api-key'
  | 'update-api-key'
  | 'rotate-api-key'
  | 'delete-api-key'
  | 'list-audit-events';

export interface CallInput {
  organizationId: string;
  apiKeyId?: string;
  body?: unknown;
  base64?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Defaults to the organization's admin. */
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

export interface KeyListBody {
  api_keys: ApiKeyView[];
  meta: { next_cursor: string | null };
}

export interface AuditListBody {
  audit_events: AuditEventView[];
  meta: { next_cursor: string | null };
}

/**
 * The eight real handler modules on a fresh DynamoDB Local table, loaded after the environment
 * they read at module load is in place, plus the store and services to seed and inspect state.
 */
export interface HarnessOptions {
  /**
   * The handlers' log level. Below SILENT, they log through the global `console` (Powertools'
   * dev mode), where a test can watch for lines of that level. @default 'SILENT'
   */
  logLevel?: 'SILENT' | 'ERROR';
}

export class HandlerHarness {
  private constructor(
    private readonly handlers: Record<Entry, ManagementHandler>,
    readonly store: DynamoDbKeyStore,
    readonly keys: ApiKeyService,
    readonly orgs: OrganizationService,
    /** Where rotate writes its retirement jobs (the local scheduler's directory). */
    readonly scheduleDir: string,
    readonly tableName: string,
    /** The DynamoDB client the handlers send with, so a test can watch what they send. */
    readonly handlerDynamoDb: DynamoDBDocumentClient,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<HandlerHarness> {
    const table = await createTestTable();
    const masterKey = randomBytes(32).toString('base64');
    const scheduleDir = mkdtempSync(join(tmpdir(), 'keyward-jobs-'));
    const logLevel = options.logLevel ?? 'SILENT';
    Object.assign(process.env, {
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
    jest.isolateModules(() => {
      for (const { entry } of MANAGEMENT_ROUTES) {
        handlers[entry as Entry] = (require(`../../../lambdas/${entry}`) as { handler: ManagementHandler }).handler;
      }
      // The same registry as the handlers, so this is the very client they send with.
      handlerDynamoDb = (require('../../../lambdas/runtime') as typeof import('../../../lambdas/runtime')).documentClient();
    });

    const store = new DynamoDbKeyStore(
      DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
      table.tableName,
    );
    const keys = new ApiKeyService({
      store,
      secrets: new LocalSecretBox(masterKey),
      clock: systemClock,
      keyPrefix: KEY_PREFIX,
      catalog: DEFAULT_RESOURCE_CATALOG,
    });
    const orgs = new OrganizationService(store, keys, systemClock, DEFAULT_RESOURCE_CATALOG);
    return new HandlerHarness(handlers, store, keys, orgs, scheduleDir, table.tableName, handlerDynamoDb!, async () => {
      await table.drop();
      rmSync(scheduleDir, { recursive: true, force: true });
    });
  }

  stop(): Promise<void> {
    return this.cleanup();
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

  /** Invokes one handler with an event as given. */
  invoke(entry: Entry, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    return this.handlers[entry](event, lambdaContext(entry));
  }

  /** Invokes one handler with a REST v1 proxy event for its route, as API Gateway would. */
  async call<T = Record<string, unknown>>(entry: Entry, input: CallInput): Promise<Response<T>> {
    const route = MANAGEMENT_ROUTES.find((candidate) => candidate.entry === entry)!;
    const pathParameters: Record<string, string> = { organization_id: input.organizationId };
    if (input.apiKeyId !== undefined) pathParameters.api_key_id = input.apiKeyId;
    const event = restProxyEvent({
      method: route.method,
      resource: route.path,
      pathParameters,
      query: input.query,
      headers: input.headers,
      body: input.body,
      base64: input.base64,
      authorizer: input.as === undefined ? { email: `admin@${input.organizationId}.test`, role: 'admin' } : input.as,
    });
    const result: APIGatewayProxyResult = await this.handlers[entry](event, lambdaContext(entry));
    return parseResult<T>(result);
  }

  async listKeys(organizationId: string): Promise<ApiKeyView[]> {
    return (await this.keys.list(organizationId, { limit: 100 })).items;
  }

  async auditTypes(organizationId: string): Promise<string[]> {
    return (await this.keys.listAuditEvents(organizationId, { limit: 100 })).items.map((event) => event.type);
  }
}
