import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { GATEWAY_RESPONSES } from '../../lambdas/http/gateway-responses';
import { MANAGEMENT_ROUTES } from '../../lambdas/management-api';
import { type StageProps, stageOf } from '../stage';
import type { AdminIdentity } from './admin-identity';
import { addJsonGatewayResponse } from './api-key-authorizer';
import { KeywardFunction, TableAccess, type TableAction } from './keyward-function';
import { type ApiGatewayLogging, KeywardRestApi } from './keyward-rest-api';
import type { Retirement } from './retirement';
import type { TokenKey } from './token-key';

/** What each operation may touch, besides its log group (DESIGN.md "Secrets", "Scheduled retirement"). */
interface OperationAccess {
  readonly table: readonly TableAction[];
  readonly kms?: 'encrypt' | 'decrypt';
  /** `manage`: create and delete retirement schedules (rotate); `remove`: delete them only (delete). */
  readonly schedules?: 'manage' | 'remove';
  readonly description: string;
}

/** Keyed by the entry names of `MANAGEMENT_ROUTES`; an entry missing here fails the synth. */
export const OPERATION_ACCESS: Readonly<Record<string, OperationAccess>> = {
  'list-api-keys': { table: TableAccess.read, description: "Lists an organization's API keys" },
  'get-api-key': { table: TableAccess.read, description: 'Gets one API key' },
  'list-audit-events': { table: TableAccess.read, description: "Lists an organization's audit events" },
  'create-api-key': { table: TableAccess.readWrite, kms: 'encrypt', description: 'Creates an API key' },
  'update-api-key': { table: TableAccess.readWrite, description: 'Renames an API key or changes its permissions' },
  // Reveal writes the `api_key.revealed` audit event, hence the table writes.
  'reveal-api-key': { table: TableAccess.readWrite, kms: 'decrypt', description: "Reveals an API key's token" },
  'rotate-api-key': {
    table: TableAccess.readWrite,
    kms: 'encrypt',
    schedules: 'manage',
    description: 'Rotates an API key, now or on a schedule',
  },
  'delete-api-key': { table: TableAccess.readWrite, schedules: 'remove', description: 'Deletes an API key' },
};

export interface ManagementApiProps extends StageProps {
  readonly table: dynamodb.ITable;
  readonly tokenKey: TokenKey;
  readonly retirement: Retirement;
  readonly adminIdentity: AdminIdentity;
  /** `KEY_PREFIX` and `RESOURCE_CATALOG`, for the functions that build the key service. */
  readonly keyEnvironment: Record<string, string>;
  readonly logging: ApiGatewayLogging;
}

/**
 * The management API (API.md §3): one method and one function per `MANAGEMENT_ROUTES` entry, all
 * behind the admin authorizer (JWT + organization membership).
 */
export class ManagementApi extends Construct {
  readonly restApi: KeywardRestApi;
  readonly adminAuthorizerFunction: KeywardFunction;
  /** The operation functions, by entry name. */
  readonly functions: ReadonlyMap<string, KeywardFunction>;

  constructor(scope: Construct, id: string, props: ManagementApiProps) {
    super(scope, id);
    const common = stageOf(props);

    this.restApi = new KeywardRestApi(this, 'Api', {
      ...common,
      restApiName: `keyward-${props.stage}-management`,
      description: 'keyward management API for organization admins',
      logging: props.logging,
    });
    addJsonGatewayResponse(this.restApi, 'Unauthorized', apigw.ResponseType.UNAUTHORIZED, GATEWAY_RESPONSES.unauthorized);
    // The admin authorizer fails (e.g. the JWKS or the table is unreachable): API.md's 500 shape.
    addJsonGatewayResponse(this.restApi, 'AuthorizerFailure', apigw.ResponseType.AUTHORIZER_FAILURE, GATEWAY_RESPONSES.authorizerFailure);
    addJsonGatewayResponse(
      this.restApi,
      'RouteNotFound',
      apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      GATEWAY_RESPONSES.managementRouteNotFound,
    );

    this.adminAuthorizerFunction = new KeywardFunction(this, 'AdminAuthorizerFunction', {
      ...common,
      entry: 'admin-authorizer',
      description: "Verifies an admin JWT and the caller's membership of the organization",
    });
    this.adminAuthorizerFunction.bindTable(props.table, TableAccess.adminAuthorizer);
    props.adminIdentity.bindAuthorizer(this.adminAuthorizerFunction);

    const authorizer = new apigw.RequestAuthorizer(this, 'AdminAuthorizer', {
      handler: this.adminAuthorizerFunction,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      // No cache: a removed admin must lose access with the next request, and the decision
      // depends on the organization in the path, not only on the token.
      resultsCacheTtl: Duration.seconds(0),
    });

    const functions = new Map<string, KeywardFunction>();
    for (const route of MANAGEMENT_ROUTES) {
      const access = OPERATION_ACCESS[route.entry];
      if (!access) throw new Error(`no access declared for management entry ${route.entry}`);
      const fn = new KeywardFunction(this, pascalCase(route.entry), {
        ...common,
        entry: route.entry,
        description: access.description,
        environment: props.keyEnvironment,
      });
      fn.bindTable(props.table, access.table);
      if (access.kms === 'encrypt') props.tokenKey.grantEncrypt(fn);
      if (access.kms === 'decrypt') props.tokenKey.grantDecrypt(fn);
      if (access.schedules === 'manage') props.retirement.grantScheduling(fn);
      if (access.schedules === 'remove') props.retirement.grantUnscheduling(fn);
      functions.set(route.entry, fn);

      this.restApi.root.resourceForPath(route.path).addMethod(route.method, new apigw.LambdaIntegration(fn, { allowTestInvoke: false }), {
        authorizationType: apigw.AuthorizationType.CUSTOM,
        authorizer,
      });
    }
    this.functions = functions;
  }
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
