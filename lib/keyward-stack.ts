import { type CfnElement, CfnOutput, Duration, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { PlansConfig } from '../lambdas/domain/plans';
import { STACK_OUTPUT } from '../lambdas/runtime/stack-outputs';
import type { KeywardConfig } from './config';
import { AdminConsole } from './constructs/admin-console';
import { AdminIdentity } from './constructs/admin-identity';
import { ExampleApi } from './constructs/example-api';
import { KeywardFunction } from './constructs/keyward-function';
import { ApiGatewayLogging } from './constructs/keyward-rest-api';
import { KeywardTable } from './constructs/keyward-table';
import { LifecycleEvents } from './constructs/lifecycle-events';
import { ManagementApi } from './constructs/management-api';
import { Notifications } from './constructs/notifications';
import { Observability } from './constructs/observability';
import { Retirement } from './constructs/retirement';
import { TokenKey } from './constructs/token-key';
import { UsageAggregation } from './constructs/usage-aggregation';
import { stageOf } from './stage';

export interface KeywardStackProps extends StackProps {
  /** Validated deployment configuration (`parseConfig`). */
  readonly config: KeywardConfig;
  /**
   * The stage's plans (the stage file's `plans`, API.md §9). Given, and with the example API, its
   * authorizer gets one usage plan per plan, the management functions read the plans, and the CLI
   * finds them and the usage plan ids in the `Plans` and `UsagePlanIds` outputs. @default none: plans off in AWS
   */
  readonly plans?: PlansConfig;
}

/**
 * The whole keyward deployment (DESIGN.md "Shape"). Environment-agnostic on purpose: no lookups,
 * so `cdk synth` needs neither credentials nor network.
 */
export class KeywardStack extends Stack {
  readonly table: KeywardTable;
  readonly tokenKey: TokenKey;
  readonly adminConsole: AdminConsole;
  readonly adminIdentity: AdminIdentity;
  readonly retirement: Retirement;
  readonly notifications: Notifications;
  readonly lifecycleEvents: LifecycleEvents;
  readonly managementApi: ManagementApi;
  /** The example protected API, on stages that deploy it (`exampleApi`). */
  readonly exampleApi?: ExampleApi;
  /** Per-key usage counters; counts the example API's requests, and yours with `usage.countRequestsIn(yourApi.accessLogs)`. */
  readonly usage: UsageAggregation;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: KeywardStackProps) {
    super(scope, id, props);
    const { config } = props;
    const common = stageOf(config);
    Tags.of(this).add('project', 'keyward');
    Tags.of(this).add('stage', config.stage);

    const plans = props.plans && config.exampleApi ? props.plans : undefined;
    const keyEnvironment = {
      KEY_PREFIX: config.keyPrefix,
      RESOURCE_CATALOG: config.resourceCatalog.join(','),
      ...(plans ? { KEYWARD_PLANS: JSON.stringify(plans) } : {}),
    };

    this.table = new KeywardTable(this, 'Data', { ...common, tableName: config.tableName });
    const table = this.table.table;
    this.tokenKey = new TokenKey(this, 'TokenKey', { ...common, operatorPrincipalArn: config.operatorPrincipalArn });
    this.adminConsole = new AdminConsole(this, 'AdminConsole', common);
    this.adminIdentity = new AdminIdentity(this, 'AdminIdentity', {
      ...common,
      external: config.adminIssuer,
      consoleUrls: [this.adminConsole.url, ...config.consoleUrls],
      ...(config.cognitoDomainPrefix ? { domainPrefix: config.cognitoDomainPrefix } : {}),
      ...(config.adminInvitesFromSender ? { invitationSender: config.sesSender } : {}),
    });
    this.retirement = new Retirement(this, 'Retirement', { ...common, table, keyEnvironment });
    this.notifications = new Notifications(this, 'Notifications', {
      ...common,
      table,
      sender: config.sesSender,
      senderIdentityExists: config.sesIdentityExists,
    });
    this.lifecycleEvents = new LifecycleEvents(this, 'LifecycleEvents', { ...common, table });

    const logging = new ApiGatewayLogging(this, 'ApiGatewayLogging', { manageAccount: config.manageApiGatewayAccount });
    this.managementApi = new ManagementApi(this, 'Management', {
      ...common,
      table,
      tokenKey: this.tokenKey,
      retirement: this.retirement,
      adminIdentity: this.adminIdentity,
      keyEnvironment,
      logging,
      // The distribution's, then those of the stage's other console URLs (a custom domain, a dev server).
      consoleOrigins: [this.adminConsole.origin, ...new Set(config.consoleUrls.map((url) => new URL(url).origin))],
      throttle: config.managementApiThrottle,
      secretScanningKeysUrl: config.secretScanningKeysUrl,
    });
    this.adminConsole.publish({
      apiBaseUrl: this.managementApi.restApi.url,
      authority: this.adminIdentity.issuer,
      clientId: this.adminIdentity.audience,
      connectOrigins: [
        `https://${this.managementApi.restApi.restApiId}.execute-api.${this.region}.${this.urlSuffix}`,
        this.adminIdentity.issuerOrigin,
        ...(this.adminIdentity.hostedUiUrl ? [this.adminIdentity.hostedUiUrl] : []),
      ],
    });
    this.exampleApi = config.exampleApi ? this.buildExampleApi(config, table, logging, plans) : undefined;
    // The settings read `quota_used` from the usage plans API Gateway counts in (API.md §9).
    if (plans && this.exampleApi) this.managementApi.readQuotaUsageFrom(this.exampleApi.authorizer.usagePlans);

    this.usage = new UsageAggregation(this, 'Usage', {
      ...common,
      table,
      ...(this.exampleApi ? { accessLogs: this.exampleApi.restApi.accessLogs } : {}),
    });

    this.observability = new Observability(this, 'Observability', {
      ...common,
      table,
      ...(this.exampleApi ? { protectedApi: { api: this.exampleApi.restApi, authorizer: this.exampleApi.authorizer.handler } } : {}),
      managementApi: this.managementApi.restApi,
      // Every function built so far, so a new one is alarmed without a line here.
      functions: this.node.findAll().filter((construct) => construct instanceof KeywardFunction),
      notifier: this.notifications.notifier,
      notifierFailureQueue: this.notifications.failureQueue,
      eventPublisher: this.lifecycleEvents.publisher,
      eventPublisherFailureQueue: this.lifecycleEvents.failureQueue,
      retirementDeadLetterQueue: this.retirement.deadLetterQueue,
      jobFailureQueue: this.retirement.jobFailureQueue,
      usageFailureQueue: this.usage.failureQueue,
      usageRollupFailureQueue: this.usage.rollupFailureQueue,
      retirementScheduleGroup: this.retirement.scheduleGroup,
      sesConfigurationSetName: this.notifications.configurationSet?.configurationSetName,
      alarmEmail: config.alarmEmail,
    });

    new CfnOutput(this, 'ManagementApiUrl', {
      value: this.managementApi.restApi.url,
      description: 'Management API base URL (append v1/organizations/...)',
    });
    if (this.exampleApi) {
      new CfnOutput(this, 'ExampleApiUrl', {
        value: this.exampleApi.restApi.url,
        description: 'Example protected API base URL (append v1/customers, ...)',
      });
    }
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.adminConsole.url,
      description: 'The admin console (sign in as an organization admin)',
    });
    new CfnOutput(this, STACK_OUTPUT.tableName, { value: table.tableName, description: 'DynamoDB table (read by `keyward --stack`)' });
    new CfnOutput(this, STACK_OUTPUT.tokenKeyArn, {
      value: this.tokenKey.key.keyArn,
      description: 'KMS key that encrypts tokens (read by `keyward --stack`)',
    });
    new CfnOutput(this, 'AdminIssuer', { value: this.adminIdentity.issuer, description: 'OIDC issuer the management API accepts' });
    new CfnOutput(this, 'AdminAudience', {
      value: this.adminIdentity.audience,
      description: 'OIDC audience (app client id) the management API accepts',
    });
    if (this.adminIdentity.userPool) {
      new CfnOutput(this, 'UserPoolId', { value: this.adminIdentity.userPool.userPoolId, description: 'Cognito user pool of the admins' });
    }
    if (this.adminIdentity.scriptsClient) {
      new CfnOutput(this, 'AdminScriptsClientId', {
        value: this.adminIdentity.scriptsClient.userPoolClientId,
        description: 'Cognito app client for scripts: SRP sign-in only (its ID tokens are accepted too)',
      });
    }
    new CfnOutput(this, STACK_OUTPUT.notifierFailureQueueUrl, {
      value: this.notifications.failureQueue.queueUrl,
      description: 'Stream batches the notifier gave up on',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.observability.topic.topicArn,
      description: 'SNS topic of every alarm (subscribe your pager; alarmEmail subscribes an address)',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.observability.dashboard.dashboardName,
      description: 'CloudWatch dashboard of the stage',
    });
    new CfnOutput(this, 'EventBusName', {
      value: this.lifecycleEvents.bus.eventBusName,
      description: 'EventBridge bus of the lifecycle events (source keyward): attach your rules here',
    });
    new CfnOutput(this, 'EventBusArn', { value: this.lifecycleEvents.bus.eventBusArn, description: 'ARN of the lifecycle event bus' });
    new CfnOutput(this, 'EventPublisherFailureQueueUrl', {
      value: this.lifecycleEvents.failureQueue.queueUrl,
      description: 'Stream batches the event publisher gave up on',
    });
    new CfnOutput(this, STACK_OUTPUT.schedulerDlqUrl, {
      value: this.retirement.deadLetterQueue.queueUrl,
      description: 'Retirement and reminder invocations the scheduler could not deliver (read by `keyward jobs redrive`)',
    });
    new CfnOutput(this, STACK_OUTPUT.jobFailureQueueUrl, {
      value: this.retirement.jobFailureQueue.queueUrl,
      description: 'Retirement and reminder jobs that failed after Lambda’s retries (read by `keyward jobs redrive`)',
    });
    new CfnOutput(this, 'UsageFailureQueueUrl', {
      value: this.usage.failureQueue.queueUrl,
      description: 'Access log batches the usage aggregator failed on after Lambda’s retries',
    });
    this.cliOutputs(config);
    if (plans && this.exampleApi) this.planOutputs(plans, this.exampleApi.authorizer.usagePlans);
  }

  /**
   * What the CLI needs to manage organizations' usage identifiers (API.md §9): the plans, each
   * plan's usage plan id, and a managed policy with exactly the API Gateway calls it makes
   * (attach it to the operator's role).
   */
  private planOutputs(plans: PlansConfig, usagePlans: Readonly<Record<string, apigw.UsagePlan>>): void {
    const ids = Object.fromEntries(Object.entries(usagePlans).map(([name, plan]) => [name, plan.usagePlanId]));
    new CfnOutput(this, STACK_OUTPUT.plans, {
      value: JSON.stringify(plans),
      description: 'The plans (JSON, API.md §9), read by `keyward --stack`',
    });
    new CfnOutput(this, STACK_OUTPUT.usagePlanIds, {
      value: this.toJsonString(ids),
      description: "Each plan's API Gateway usage plan id (JSON), read by `keyward --stack`",
    });
    const apikeys = this.formatArn({ service: 'apigateway', account: '', resource: '/apikeys' });
    const usagePlanKeys = Object.values(usagePlans).map((plan) =>
      this.formatArn({ service: 'apigateway', account: '', resource: `/usageplans/${plan.usagePlanId}/keys` }),
    );
    const policy = new iam.ManagedPolicy(this, 'OperatorUsageIdentifiers', {
      description: `keyward ${this.stackName}: what the keyward CLI calls in API Gateway for organizations' usage identifiers (org create, org set-plan, migrate) and quota_used`,
      statements: [
        // GetApiKeys (find one an interrupted run made) and CreateApiKey.
        new iam.PolicyStatement({ actions: ['apigateway:GET', 'apigateway:POST'], resources: [apikeys] }),
        // CreateUsagePlanKey, DeleteUsagePlanKey: only the stage's usage plans.
        new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: usagePlanKeys }),
        new iam.PolicyStatement({ actions: ['apigateway:DELETE'], resources: usagePlanKeys.map((keys) => `${keys}/*`) }),
        // GetUsage: `org set-plan` prints quota_used as the settings answer it.
        new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: usagePlanKeys.map((keys) => keys.replace(/\/keys$/, '/usage')) }),
      ],
    });
    // DeleteUsagePlanKey's resource is the usage plan key, `/usageplans/<id>/keys/<key id>`: the key id is one per organization.
    Validations.of(policy).acknowledge(
      ...Object.values(usagePlans).map((plan) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/<${this.getLogicalId(plan.node.defaultChild as CfnElement)}>/keys/*]`,
        reason: "Removing an organization's usage identifier from one of the stage's usage plans (org set-plan): one key per organization.",
      })),
    );
    new CfnOutput(this, 'OperatorUsageIdentifiersPolicyArn', {
      value: policy.managedPolicyArn,
      description: "Managed policy to attach to the operator's role for org create, org set-plan and migrate with plans",
    });
  }

  /** The example protected API: the echo backend on `EXAMPLE_ROUTES` behind the stage's API-key authorizer. */
  private buildExampleApi(config: KeywardConfig, table: dynamodb.ITable, logging: ApiGatewayLogging, plans?: PlansConfig): ExampleApi {
    return new ExampleApi(this, 'Example', {
      ...stageOf(config),
      table,
      authorizer: {
        keyPrefix: config.keyPrefix,
        resultsCacheTtl: Duration.seconds(config.authorizerCacheTtlSeconds),
        keyCacheTtl: Duration.millis(config.authorizerKeyCacheMs),
        apiKeyHeaderOnly: config.apiKeyHeaderOnly,
        reservedConcurrency: config.authorizerReservedConcurrency,
        ...(plans ? { plans } : {}),
      },
      throttle: config.consumerApiThrottle,
      logging,
      tracing: config.consumerApiTracing,
      accessLogFormat: config.accessLogFormat,
    });
  }

  /**
   * What `keyward --stack` reads besides the table and the token key (API.md §4): the token format
   * and catalog the functions and the authorizer use, where the CLI sends a redriven email from,
   * and the scheduler settings of an emergency rotation with a grace period.
   */
  private cliOutputs(config: KeywardConfig): void {
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output(STACK_OUTPUT.keyPrefix, config.keyPrefix, 'Token prefix of the keys the authorizer accepts');
    output(STACK_OUTPUT.resourceCatalog, JSON.stringify(config.resourceCatalog), 'Permission resources (JSON array)');
    if (config.sesSender) output(STACK_OUTPUT.senderAddress, config.sesSender.fromAddress, 'From address of the admin emails');
    output(
      STACK_OUTPUT.scheduleGroupName,
      this.retirement.scheduleGroup.scheduleGroupName,
      'EventBridge Scheduler group of retirement jobs',
    );
    output(STACK_OUTPUT.retireFunctionArn, this.retirement.retireFunction.functionArn, 'Function the retirement jobs invoke');
    output(STACK_OUTPUT.remindFunctionArn, this.retirement.remindFunction.functionArn, 'Function the expiry reminder jobs invoke');
    output(STACK_OUTPUT.schedulerRoleArn, this.retirement.schedulerRole.roleArn, 'Role the retirement jobs run as');
    output(STACK_OUTPUT.schedulerDlqArn, this.retirement.deadLetterQueue.queueArn, 'Dead-letter queue of the retirement jobs');
  }
}
