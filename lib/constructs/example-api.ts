import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EXAMPLE_ROUTES } from '../../lambdas/domain/routes';
import type { Throttle } from '../config';
import { type StageProps, stageOf } from '../stage';
import type { AccessLogFormatName } from './access-log-format';
import { ApiKeyAuthorizer, type ApiKeyAuthorizerProps } from './api-key-authorizer';
import { KeywardFunction } from './keyward-function';
import { type ApiGatewayLogging, KeywardRestApi } from './keyward-rest-api';

export interface ExampleApiProps extends StageProps {
  /** keyward's table, which the authorizer reads keys from. */
  readonly table: dynamodb.ITable;
  /** The authorizer's key prefix, caches, identity source and concurrency (see `ApiKeyAuthorizerProps`); its routes are `EXAMPLE_ROUTES`. */
  readonly authorizer: Pick<
    ApiKeyAuthorizerProps,
    'keyPrefix' | 'resultsCacheTtl' | 'keyCacheTtl' | 'apiKeyHeaderOnly' | 'reservedConcurrency' | 'plans'
  >;
  /** Stage-level rate and burst limits of the API. */
  readonly throttle: Throttle;
  /** The account's API Gateway logging role, which the API's stage waits for. */
  readonly logging: ApiGatewayLogging;
  /**
   * X-Ray on the consumer path: the stage samples (one request a second and 5 % of the rest) and
   * the authorizer and the echo record what it sampled. Off, no request is traced. @default false
   */
  readonly tracing?: boolean;
  /** The stage's access log line (`access-log-format.ts`). @default 'lean' */
  readonly accessLogFormat?: AccessLogFormatName;
}

/**
 * The example protected API (API.md §1): the echo backend on every route of `EXAMPLE_ROUTES`,
 * behind the API-key authorizer, so a deployment can be exercised end to end.
 */
export class ExampleApi extends Construct {
  readonly restApi: KeywardRestApi;
  readonly echoFunction: KeywardFunction;
  readonly authorizer: ApiKeyAuthorizer;

  constructor(scope: Construct, id: string, props: ExampleApiProps) {
    super(scope, id);
    const stage = stageOf(props);

    this.restApi = new KeywardRestApi(this, 'Api', {
      ...stage,
      restApiName: `keyward-${props.stage}-example`,
      description: 'keyward example protected API (echo backend behind the API-key authorizer)',
      logging: props.logging,
      throttle: props.throttle,
      tracing: props.tracing ?? false,
      accessLogFormat: props.accessLogFormat ?? 'lean',
    });

    this.echoFunction = new KeywardFunction(this, 'EchoFunction', {
      ...stage,
      entry: 'example-echo',
      description: 'Echoes the authorizer context (example protected backend)',
      memorySize: 256,
      // Traced when the stage sampled the request, never on its own.
      tracing: lambda.Tracing.PASS_THROUGH,
    });

    this.authorizer = new ApiKeyAuthorizer(this, 'ApiKeyAuthorizer', {
      ...stage,
      ...props.authorizer,
      restApi: this.restApi,
      table: props.table,
      routes: EXAMPLE_ROUTES,
    });
    // One permission for the whole API rather than one per method: the echo serves every route.
    this.authorizer.addRoutes(new apigw.LambdaIntegration(this.echoFunction, { scopePermissionToMethod: false }));
  }
}
