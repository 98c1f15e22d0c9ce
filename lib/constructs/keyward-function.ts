import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { TableAction } from '../../lambdas/operations/manifest';
import { type StageProps, statefulRemovalPolicy } from '../stage';

const REPO_ROOT = path.join(__dirname, '..', '..');
const LAMBDAS_DIR = path.join(REPO_ROOT, 'lambdas');

/**
 * The runtime every function uses (DESIGN.md: nodejs22.x or newer; the newest keeps cdk-nag L1
 * quiet). Its major is the Node everything else runs on: package.json pins it (docs/development.md,
 * "Node versions and the AWS SDK"), and `test/infra/node-versions.test.ts` keeps the two together.
 */
export const KEYWARD_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild's target: the runtime's own Node (`node24`), since the bundle runs nowhere else. */
export const BUNDLE_TARGET = bundleTarget(KEYWARD_RUNTIME);

function bundleTarget(runtime: lambda.Runtime): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
  if (major === undefined) throw new Error(`${runtime.name} is not a Node.js runtime`);
  return `node${major}`;
}

export interface KeywardFunctionProps extends StageProps {
  /** The entry file's name under `lambdas/` without `.ts` (e.g. `rotate-api-key`). */
  readonly entry: string;
  /**
   * The physical name's suffix: the function is `keyward-<stage>-<name>`, its log group
   * `/aws/lambda/keyward-<stage>-<name>`. Two functions of one entry in one account, region and
   * stage need different names.
   * @default the entry
   */
  readonly name?: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Variables beyond the defaults; grants add the ones they need (e.g. `TABLE_NAME`). @default {} */
  readonly environment?: Record<string, string>;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 512 MiB (also buys CPU, which the cold start needs more than the memory) */
  readonly memorySize?: number;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Powertools log level. @default INFO */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Concurrency reserved for (and capping) the function. @default none: the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
  /**
   * X-Ray: `ACTIVE` samples the function's own invocations (the default rule: one a second and
   * 5 % of the rest, $5 per million traces); `PASS_THROUGH` records only what an upstream service
   * (API Gateway with tracing on) sampled. @default ACTIVE
   */
  readonly tracing?: lambda.Tracing;
}

/**
 * Every function's log settings (Lambda's LoggingConfig): JSON, so each line is one structured
 * event; the application's own lines (Powertools, already JSON, at `POWERTOOLS_LOG_LEVEL`) kept from
 * INFO up; Lambda's platform lines (START, END, REPORT: three text events per invocation, about
 * 240 bytes of CloudWatch Logs ingestion) only from WARN up, so a normal invocation writes none.
 * Duration and memory stay in Lambda's own metrics; timeouts and crashes are still logged.
 */
export const FUNCTION_LOGGING = {
  loggingFormat: lambda.LoggingFormat.JSON,
  applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
  systemLogLevelV2: lambda.SystemLogLevel.WARN,
} as const;

/**
 * The one Lambda construct (STYLE.md rule 8): it owns the defaults (runtime, ARM_64, esbuild
 * minify + tree-shaking + source maps, log group with retention, X-Ray, Powertools environment) and
 * an explicit role that starts with nothing but its own log group: every other right is added by a
 * `bind…`/`grant…` call next to the variable that tells the code where the resource is.
 */
export class KeywardFunction extends nodejs.NodejsFunction {
  /** The physical name's suffix (`keyward-<stage>-<shortName>`), known at synth: alarms are named after it. */
  readonly shortName: string;

  constructor(scope: Construct, id: string, props: KeywardFunctionProps) {
    const functionName = `keyward-${props.stage}-${props.name ?? props.entry}`;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Outside dev, logs outlive the stack for investigations.
      removalPolicy: statefulRemovalPolicy(props),
    });
    // An own role instead of the default one: AWSLambdaBasicExecutionRole would allow writing to
    // every log group in the account.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${functionName}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    super(scope, id, {
      functionName,
      description: props.description,
      entry: path.join(LAMBDAS_DIR, `${props.entry}.ts`),
      handler: 'handler',
      runtime: KEYWARD_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: props.tracing ?? lambda.Tracing.ACTIVE,
      ...FUNCTION_LOGGING,
      logGroup,
      role,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'keyward',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: BUNDLE_TARGET,
        // The SDK is bundled (not taken from the runtime) so the deployed code runs the versions
        // that were tested, and esbuild can tree-shake it down to the commands actually used.
        externalModules: [],
        // Local esbuild from node_modules only: `cdk synth` works offline and without Docker.
        forceDockerBundling: false,
        esbuildArgs: { '--tree-shaking': 'true' },
      },
    });
    this.shortName = props.name ?? props.entry;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (and, for the notifier, dynamodb:ListStreams) support no resource-level permissions.',
    });
  }

  /**
   * Tells the function where the table is (`TABLE_NAME`) and allows exactly `actions` on the
   * table's own ARN (no index, no stream, no Scan unless listed).
   */
  bindTable(table: dynamodb.ITable, actions: readonly TableAction[]): void {
    this.addEnvironment('TABLE_NAME', table.tableName);
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...new Set(actions)].map((action) => `dynamodb:${action}`), resources: [table.tableArn] }),
    );
  }
}

/**
 * Table access sets, named after who uses them. `TransactWriteItems` is authorized per item as
 * Put/Update/Delete/ConditionCheckItem, `TransactGetItems` as GetItem, so no transact action appears.
 * (The api-key authorizer's grant, narrowed by a condition, is `ApiKeyAuthorizer`'s.)
 */
export const TableAccess = {
  /** Membership lookup. */
  adminAuthorizer: ['GetItem'],
  /** Reads the key; deletes its two items, updates the organization's counters, writes the audit event. */
  retire: ['GetItem', 'DeleteItem', 'UpdateItem', 'PutItem'],
  /** Reads the key; records the reminder on it and writes the audit event. */
  remind: ['GetItem', 'UpdateItem', 'PutItem'],
  /** Reads the organization and its admins, keeps idempotency records. */
  notifier: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
} as const satisfies Record<string, readonly TableAction[]>;
