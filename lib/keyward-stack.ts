import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KeywardConfig } from './config';
import { AdminConsole } from './constructs/admin-console';
import { AdminIdentity } from './constructs/admin-identity';
import { ExampleApi } from './constructs/example-api';
import { ApiGatewayLogging } from './constructs/keyward-rest-api';
import { KeywardTable } from './constructs/keyward-table';
import { ManagementApi } from './constructs/management-api';
import { Notifications } from './constructs/notifications';
import { Retirement } from './constructs/retirement';
import { TokenKey } from './constructs/token-key';
import { stageOf } from './stage';

export interface KeywardStackProps extends StackProps {
  /** Validated deployment configuration (`parseConfig`). */
  readonly config: KeywardConfig;
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
  readonly managementApi: ManagementApi;
  readonly exampleApi: ExampleApi;

  constructor(scope: Construct, id: string, props: KeywardStackProps) {
    super(scope, id, props);
    const { config } = props;
    const common = stageOf(config);
    Tags.of(this).add('project', 'keyward');
    Tags.of(this).add('stage', config.stage);

    const keyEnvironment = { KEY_PREFIX: config.keyPrefix, RESOURCE_CATALOG: config.resourceCatalog.join(',') };

    this.table = new KeywardTable(this, 'Data', common);
    const table = this.table.table;
    this.tokenKey = new TokenKey(this, 'TokenKey', common);
    this.adminConsole = new AdminConsole(this, 'AdminConsole', common);
    this.adminIdentity = new AdminIdentity(this, 'AdminIdentity', {
      ...common,
      external: config.adminIssuer,
      consoleUrls: [this.adminConsole.url, ...config.consoleUrls],
      ...(config.cognitoDomainPrefix ? { domainPrefix: config.cognitoDomainPrefix } : {}),
    });
    this.retirement = new Retirement(this, 'Retirement', { ...common, table, keyEnvironment });
    this.notifications = new Notifications(this, 'Notifications', { ...common, table, sender: config.sesSender });

    const logging = new ApiGatewayLogging(this, 'ApiGatewayLogging');
    this.managementApi = new ManagementApi(this, 'Management', {
      ...common,
      table,
      tokenKey: this.tokenKey,
      retirement: this.retirement,
      adminIdentity: this.adminIdentity,
      keyEnvironment,
      logging,
      consoleOrigin: this.adminConsole.origin,
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
    this.exampleApi = new ExampleApi(this, 'Example', {
      ...common,
      table,
      authorizer: {
        keyPrefix: config.keyPrefix,
        resultsCacheTtl: Duration.seconds(config.authorizerCacheTtlSeconds),
        keyCacheTtl: Duration.millis(config.authorizerKeyCacheMs),
      },
      logging,
    });

    new CfnOutput(this, 'ManagementApiUrl', {
      value: this.managementApi.restApi.url,
      description: 'Management API base URL (append v1/organizations/...)',
    });
    new CfnOutput(this, 'ExampleApiUrl', {
      value: this.exampleApi.restApi.url,
      description: 'Example protected API base URL (append v1/customers, ...)',
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.adminConsole.url,
      description: 'The admin console (sign in as an organization admin)',
    });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'DynamoDB table (for the keyward CLI: KEYWARD_TABLE_NAME)' });
    new CfnOutput(this, 'TokenKeyArn', {
      value: this.tokenKey.key.keyArn,
      description: 'KMS key that encrypts tokens (for the keyward CLI: --kms-key)',
    });
    new CfnOutput(this, 'AdminIssuer', { value: this.adminIdentity.issuer, description: 'OIDC issuer the management API accepts' });
    new CfnOutput(this, 'AdminAudience', {
      value: this.adminIdentity.audience,
      description: 'OIDC audience (app client id) the management API accepts',
    });
    if (this.adminIdentity.userPool) {
      new CfnOutput(this, 'UserPoolId', { value: this.adminIdentity.userPool.userPoolId, description: 'Cognito user pool of the admins' });
    }
    new CfnOutput(this, 'NotifierFailureQueueUrl', {
      value: this.notifications.failureQueue.queueUrl,
      description: 'Stream batches the notifier gave up on',
    });
    new CfnOutput(this, 'RetirementDlqUrl', {
      value: this.retirement.deadLetterQueue.queueUrl,
      description: 'Retirement invocations the scheduler gave up on',
    });
  }
}
