import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambdas/observability/metric-names';
import type { Throttle } from '../config';
import { type StageProps, statefulRemovalPolicy } from '../stage';
import { type AccessLogFormatName, keywardAccessLogFormat } from './access-log-format';

/** `stage` is also the API Gateway stage name (the first URL path segment). */
export interface KeywardRestApiProps extends StageProps {
  /** Physical name, e.g. `keyward-prod-management`. */
  readonly restApiName: string;
  /** What the API is for, shown in the console. */
  readonly description: string;
  /** The account's API Gateway logging role; stages are deployed after it is set. */
  readonly logging: ApiGatewayLogging;
  /**
   * CORS preflight (`OPTIONS`) on every resource, answered by API Gateway itself.
   * @default none
   */
  readonly defaultCorsPreflightOptions?: apigw.CorsOptions;
  /**
   * Stage-level throttling of every method: requests over it get 429 `throttled` (API.md §1)
   * before any authorizer or function runs, so a flood costs API Gateway alone.
   */
  readonly throttle: Throttle;
  /**
   * X-Ray tracing of the stage: API Gateway samples by the account's rules (by default one request
   * a second and 5 % of the rest, $5 per million traces) and passes the decision to the functions.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * API Gateway's detailed CloudWatch metrics, per method: seven custom metrics for every method
   * of the stage ($0.30 each a month). The stage's totals (Count, 4XXError, 5XXError, Latency,
   * IntegrationLatency per API and stage) are free and always on; the alarms read those.
   * @default false
   */
  readonly methodMetrics?: boolean;
  /**
   * The access log line (`access-log-format.ts`): `lean`, what the usage counts and the alarms
   * read, or `full`, the same plus forensic fields.
   * @default 'lean'
   */
  readonly accessLogFormat?: AccessLogFormatName;
}

/**
 * API Gateway's account setting for CloudWatch logging (a per-region singleton that access and
 * execution logs both need). Set only when the stage's `manageApiGatewayAccount` says so: the
 * setting belongs to the account, and two stacks that both set it overwrite each other's role.
 * Otherwise the account must have it already (docs/deploying.md#api-gateway-logging-role). The
 * role is retained: another stack or stage in the same account may rely on the setting after this
 * one is gone.
 */
export class ApiGatewayLogging extends Construct {
  /** The account setting, when this stack manages it. */
  readonly account?: apigw.CfnAccount;

  constructor(scope: Construct, id: string, props: { readonly manageAccount: boolean }) {
    super(scope, id);
    if (!props.manageAccount) return;
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.account = new apigw.CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the documented policy for the account-wide API Gateway logging role.',
    });
  }
}

/** A REST API with the house defaults: regional, access logs (JSON), execution logs on errors; X-Ray and per-method metrics when asked. */
export class KeywardRestApi extends apigw.RestApi {
  /** The stage's access log (`access-log-format.ts`), e.g. for metric filters. */
  readonly accessLogs: logs.LogGroup;
  /**
   * Where the metrics counted from this API's access log go (`keyward/<API name>`): the API is the
   * namespace, set here at synth, so the metric filters need no dimension and the lean line no API id.
   */
  readonly accessLogMetricsNamespace: string;

  constructor(scope: Construct, id: string, props: KeywardRestApiProps) {
    const accessLogs = new logs.LogGroup(scope, `${id}AccessLogs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      // Outside dev, access logs outlive the stack for investigations.
      removalPolicy: statefulRemovalPolicy(props),
    });
    super(scope, id, {
      restApiName: props.restApiName,
      description: props.description,
      ...(props.defaultCorsPreflightOptions ? { defaultCorsPreflightOptions: props.defaultCorsPreflightOptions } : {}),
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stage,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: keywardAccessLogFormat(props.accessLogFormat ?? 'lean'),
        // ERROR, not INFO: INFO execution logs would record request headers, i.e. keys and JWTs.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: props.methodMetrics ?? false,
        tracingEnabled: props.tracing ?? false,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
    });
    this.accessLogs = accessLogs;
    this.accessLogMetricsNamespace = `${METRICS_NAMESPACE}/${props.restApiName}`;
    if (props.logging.account) this.deploymentStage.node.addDependency(props.logging.account);

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason: 'Bodies are validated by the handlers with zod, which return the API.md error shape; API Gateway validation would not.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'WAF is an account-level choice (and cost) left to the operator; every method has a Lambda authorizer.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Methods use Lambda REQUEST authorizers (API keys; JWT plus organization membership), which a Cognito authorizer cannot check.',
      },
    );
  }
}
