import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { OPERATION_LIST } from '../../lambdas/operations/manifest';
import type { Throttle } from '../config';
import { type StageProps, stageOf } from '../stage';
import type { AdminIdentity } from './admin-identity';
import { addContractGatewayResponses } from './contract-gateway-responses';
import { KeywardFunction, TableAccess } from './keyward-function';
import { type ApiGatewayLogging, KeywardRestApi } from './keyward-rest-api';
import type { Retirement } from './retirement';
import type { TokenKey } from './token-key';

export interface ManagementApiProps extends StageProps {
  readonly table: dynamodb.ITable;
  readonly tokenKey: TokenKey;
  readonly retirement: Retirement;
  readonly adminIdentity: AdminIdentity;
  /** `KEY_PREFIX` and `RESOURCE_CATALOG`, for the functions that build the key service. */
  readonly keyEnvironment: Record<string, string>;
  readonly logging: ApiGatewayLogging;
  /**
   * The admin console's origins (`https://<distribution>` first, then those of the stage's
   * `consoleUrls`): the origins CORS lets call the API and read its answers (`ETag` included) and errors.
   * @default none: no CORS (the console is served from the API's own origin, or not at all)
   */
  readonly consoleOrigins?: readonly string[];
  /** Stage-level rate and burst limits of the API. */
  readonly throttle: Throttle;
  /** Where secret-scanning reports' signing keys are published (API.md §10), for the operations whose row is `signed`. */
  readonly secretScanningKeysUrl: string;
}

/**
 * The management API (API.md §3): one method and one function per row of the operation manifest
 * (lambdas/operations/manifest.ts), behind the admin authorizer (JWT + organization membership)
 * unless the row is public, and granted exactly the table actions, KMS use and scheduling its row
 * declares (DESIGN.md "Secrets", "Scheduled retirement").
 */
export class ManagementApi extends Construct {
  readonly restApi: KeywardRestApi;
  readonly adminAuthorizerFunction: KeywardFunction;
  /** The operation functions, by entry name. */
  readonly functions: ReadonlyMap<string, KeywardFunction>;

  constructor(scope: Construct, id: string, props: ManagementApiProps) {
    super(scope, id);
    const common = stageOf(props);
    const origins = props.consoleOrigins ?? [];

    this.restApi = new KeywardRestApi(this, 'Api', {
      ...common,
      restApiName: `keyward-${props.stage}-management`,
      description: 'keyward management API for organization admins',
      logging: props.logging,
      // Admin traffic: a handful of requests, each worth a trace and a full access log line.
      tracing: true,
      accessLogFormat: 'full',
      ...(origins.length > 0
        ? {
            defaultCorsPreflightOptions: {
              // With more than one, API Gateway's preflight answers the request's Origin when it is listed.
              allowOrigins: [...origins],
              allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
              allowHeaders: ['Authorization', 'Content-Type', 'If-Match'],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
      throttle: props.throttle,
    });
    // API Gateway's own answers must let the console read them too (a 401 sends it back to Sign in).
    // A gateway response has no condition, so it cannot pick the caller's origin out of a list: it
    // names the first (the distribution's), fixed at deploy time. Reflecting the request's Origin
    // instead would let any site read these answers. A console on another of the `consoleUrls`
    // sees API Gateway's own 401, 429 and 5xx as network errors (docs/deploying.md); the
    // functions' answers, with every piece of data, allow each listed origin.
    const cors: Record<string, string> = origins.length === 0 ? {} : { 'Access-Control-Allow-Origin': `'${origins[0]}'`, Vary: "'Origin'" };
    // Every gateway response in the contract's shape (an undefined method or path is 404 route_not_found), readable by the console.
    addContractGatewayResponses(this.restApi, 'management', cors);

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
      // depends on the organization in the path, not only on the token (the role is in the
      // context, the policy covers the route: a token-keyed cache would replay one
      // organization's role for another).
      resultsCacheTtl: Duration.seconds(0),
    });

    const functions = new Map<string, KeywardFunction>();
    for (const operation of OPERATION_LIST) {
      const fn = new KeywardFunction(this, pascalCase(operation.entry), {
        ...common,
        entry: operation.entry,
        description: operation.summary,
        environment: {
          ...props.keyEnvironment,
          ...(origins.length > 0 ? { CONSOLE_ORIGIN: Fn.join(',', [...origins]) } : {}),
          ...('signed' in operation ? { SECRET_SCANNING_KEYS_URL: props.secretScanningKeysUrl } : {}),
        },
      });
      if (operation.table.length > 0) fn.bindTable(props.table, operation.table);
      if ('kms' in operation && operation.kms === 'encrypt') props.tokenKey.grantEncrypt(fn);
      if ('kms' in operation && operation.kms === 'decrypt') props.tokenKey.grantDecrypt(fn);
      if ('schedules' in operation && operation.schedules === 'manage') props.retirement.grantScheduling(fn);
      if ('schedules' in operation && operation.schedules === 'remove') props.retirement.grantUnscheduling(fn);
      functions.set(operation.entry, fn);

      const method = this.restApi.root
        .resourceForPath(operation.path)
        .addMethod(
          operation.method,
          new apigw.LambdaIntegration(fn, { allowTestInvoke: false }),
          operation.auth === 'public'
            ? { authorizationType: apigw.AuthorizationType.NONE }
            : { authorizationType: apigw.AuthorizationType.CUSTOM, authorizer },
        );
      if (operation.auth === 'public') {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${operation.method} ${operation.path} is public on purpose (the manifest row says so): it serves no data of any organization.`,
        });
      }
    }
    this.functions = functions;
  }

  /**
   * The stage's usage plans (API.md §9), for the functions whose manifest row answers
   * `quota_used`: they get `USAGE_PLAN_IDS` and may read each usage plan's usage (GetUsage,
   * `GET /usageplans/<id>/usage`), nothing else of API Gateway.
   */
  readQuotaUsageFrom(usagePlans: Readonly<Record<string, apigw.UsagePlan>>): void {
    const stack = Stack.of(this);
    const ids = Object.fromEntries(Object.entries(usagePlans).map(([name, plan]) => [name, plan.usagePlanId]));
    const usage = Object.values(usagePlans).map((plan) =>
      stack.formatArn({ service: 'apigateway', account: '', resource: `/usageplans/${plan.usagePlanId}/usage` }),
    );
    for (const operation of OPERATION_LIST) {
      if (!('quotaUsage' in operation && operation.quotaUsage)) continue;
      const fn = this.functions.get(operation.entry)!;
      fn.addEnvironment('USAGE_PLAN_IDS', stack.toJsonString(ids));
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: usage }));
    }
  }
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
