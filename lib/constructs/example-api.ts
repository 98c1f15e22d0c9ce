import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EXAMPLE_ROUTES } from '../../lambdas/domain/routes';
import { ApiKeyAuthorizer } from './api-key-authorizer';
import { KeywardFunction, TableAccess } from './keyward-function';
import { type ApiGatewayLogging, KeywardRestApi } from './keyward-rest-api';

export interface ExampleApiProps {
  readonly stage: string;
  readonly isDevStage: boolean;
  readonly table: dynamodb.ITable;
  readonly keyPrefix: string;
  /** Opt-in authorizer result cache; see `ApiKeyAuthorizerProps.resultsCacheTtl`. @default 0 (off) */
  readonly authorizerCacheTtl?: Duration;
  /**
   * The authorizer function's in-function cache of found keys, in ms (`AUTHORIZER_KEY_CACHE_MS`);
   * revocation lags by up to this much per warm instance. @default 0 (off)
   */
  readonly authorizerKeyCacheMs?: number;
  readonly logging: ApiGatewayLogging;
}

/**
 * The example protected API (API.md §1): the echo backend on every route of `EXAMPLE_ROUTES`,
 * behind the API-key authorizer, so a deployment can be exercised end to end.
 */
export class ExampleApi extends Construct {
  readonly restApi: KeywardRestApi;
  readonly authorizerFunction: KeywardFunction;
  readonly echoFunction: KeywardFunction;
  readonly authorizer: ApiKeyAuthorizer;

  constructor(scope: Construct, id: string, props: ExampleApiProps) {
    super(scope, id);
    const common = { stage: props.stage, isDevStage: props.isDevStage };

    this.restApi = new KeywardRestApi(this, 'Api', {
      ...common,
      restApiName: `keyward-${props.stage}-example`,
      description: 'keyward example protected API (echo backend behind the API-key authorizer)',
      logging: props.logging,
    });

    this.authorizerFunction = new KeywardFunction(this, 'ApiKeyAuthorizerFunction', {
      ...common,
      entry: 'api-key-authorizer',
      description: 'Decides consumer requests by their x-api-key',
      environment: {
        KEY_PREFIX: props.keyPrefix,
        ...(props.authorizerKeyCacheMs ? { AUTHORIZER_KEY_CACHE_MS: String(props.authorizerKeyCacheMs) } : {}),
      },
    });
    this.authorizerFunction.bindTable(props.table, TableAccess.apiKeyAuthorizer);

    this.echoFunction = new KeywardFunction(this, 'EchoFunction', {
      ...common,
      entry: 'example-echo',
      description: 'Echoes the authorizer context (example protected backend)',
      memorySize: 256,
    });

    this.authorizer = new ApiKeyAuthorizer(this, 'ApiKeyAuthorizer', {
      restApi: this.restApi,
      handler: this.authorizerFunction,
      routes: EXAMPLE_ROUTES,
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(0),
    });
    // One permission for the whole API rather than one per method: the echo serves every route.
    this.authorizer.addRoutes(new apigw.LambdaIntegration(this.echoFunction, { scopePermissionToMethod: false }));
  }
}
