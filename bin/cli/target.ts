import { userInfo } from 'node:os';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ApiGatewayQuotaUsage } from '../../lambdas/adapters/api-gateway-quota-usage';
import { ApiGatewayUsageIdentifiers } from '../../lambdas/adapters/api-gateway-usage-identifiers';
import { KmsSecretBox } from '../../lambdas/adapters/kms-secret-box';
import { lambdaJobRunner } from '../../lambdas/adapters/lambda-job-runner';
import { LocalRetirementScheduler } from '../../lambdas/adapters/local-retirement-scheduler';
import { LocalSecretBox } from '../../lambdas/adapters/local-secret-box';
import { createSesClient, SesMailer } from '../../lambdas/adapters/ses-mailer';
import { SqsFailureQueue, SqsRedriveQueue } from '../../lambdas/adapters/sqs-failure-queue';
import type { Actor } from '../../lambdas/domain/audit-event';
import { parseResourceCatalog } from '../../lambdas/domain/permissions';
import type { FailureQueue, Mailer } from '../../lambdas/domain/ports';
import { keyConfig } from '../../lambdas/runtime/config';
import { createOperator, type Operator } from '../../lambdas/runtime/operator';
import { createRetirementScheduler } from '../../lambdas/runtime/retirement-scheduler';
import { jobQueueUrls, notifierFailureQueueUrl, parseStackOutputs, type StackSettings } from '../../lambdas/runtime/stack-outputs';
import { type JobRunner, type ParkedJobs, parkedJobOf } from '../../lambdas/service/job-redrive';
import { LOCAL_SENDER, scheduleDir } from '../../local/components';
import { localClientConfig } from '../../local/dynamodb-local';
import { type RuntimeInfo, readMasterKey, readRuntimeInfo, resolveStateDir } from '../../local/state';

/** A usage or validation problem: exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, string[]>,
  ) {
    super(message);
  }
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * Where the CLI works: a deployed stack (`--stack`, settings from its outputs, the SDK's default
 * credentials and region) or the running local stack (`npm start`, found through `.keyward/`).
 */
export type Target = { mode: 'aws'; stack: StackSettings } | { mode: 'local'; runtime: RuntimeInfo; stateDir: string };

/**
 * Variables that configure the local mode or an older CLI: with `--stack` the stack's outputs
 * decide, and a variable that says otherwise is refused rather than silently overridden, so
 * `KEY_PREFIX=acme keyward --stack kw …` cannot mint a key the `kw` stack's authorizer rejects.
 */
function refuseConflictingEnvironment(stack: StackSettings, env: NodeJS.ProcessEnv): void {
  const conflicts: string[] = [];
  const prefix = env.KEY_PREFIX?.trim();
  if (prefix && prefix !== stack.keyPrefix) conflicts.push(`KEY_PREFIX=${prefix} (the stack's prefix is ${stack.keyPrefix})`);
  const catalog = env.RESOURCE_CATALOG?.trim();
  if (catalog && parseResourceCatalog(catalog).join(',') !== stack.catalog.join(',')) {
    conflicts.push("RESOURCE_CATALOG (differs from the stack's catalog)");
  }
  for (const name of ['KEYWARD_TABLE', 'KEYWARD_KMS_KEY'] as const) {
    if (env[name]?.trim()) conflicts.push(`${name} (no longer read: the stack names its table and key)`);
  }
  if (conflicts.length > 0) {
    throw new UsageError(`with --stack ${stack.stackName}, the stack's outputs are the settings; unset ${conflicts.join(', ')}`);
  }
}

async function describeStack(stackName: string): Promise<StackSettings> {
  const client = new CloudFormationClient({});
  try {
    const { Stacks: stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries((stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
    return parseStackOutputs(stackName, outputs);
  } finally {
    client.destroy();
  }
}

export async function resolveTarget(options: { stack?: string }, io: Io): Promise<Target> {
  const stackName = options.stack ?? io.env.KEYWARD_STACK?.trim();
  if (stackName) {
    const stack = await describeStack(stackName);
    refuseConflictingEnvironment(stack, io.env);
    return { mode: 'aws', stack };
  }
  if (io.env.KEYWARD_TABLE?.trim())
    throw new UsageError('KEYWARD_TABLE is no longer read: name the stack with --stack <name> (or KEYWARD_STACK)');
  const stateDir = resolveStateDir(io.cwd, io.env);
  const runtime = readRuntimeInfo(stateDir);
  if (runtime) {
    // What the CLI writes into the state directory (scheduled jobs, rewritten dead-letter files) is
    // owner-only like everything else there (API.md §6), whatever the operator's umask.
    process.umask(0o077);
    return { mode: 'local', runtime, stateDir };
  }
  throw new Error(
    `no running local stack found in ${stateDir}: start one with \`npm start\` (or set KEYWARD_STATE_DIR), ` +
      'or pass --stack <name> (or KEYWARD_STACK) to work on a deployed stack',
  );
}

/** The operator's services on the target's table, with its token format, catalog, secrets and scheduler. */
export function operatorFor(target: Target, io: Io): Operator {
  if (target.mode === 'local') {
    return createOperator({
      tableName: target.runtime.table_name,
      dynamodb: localClientConfig(target.runtime.dynamodb_endpoint, target.runtime.dynamodb_access_key_id),
      secrets: new LocalSecretBox(readMasterKey(target.stateDir)),
      scheduler: new LocalRetirementScheduler(scheduleDir(target.stateDir)),
      ...(target.runtime.plans ? { plans: target.runtime.plans } : {}),
      ...keyConfig(io.env),
    });
  }
  const { stack } = target;
  const gateway = stack.plans && new APIGatewayClient({});
  return createOperator({
    tableName: stack.tableName,
    secrets: new KmsSecretBox(new KMSClient({}), stack.tokenKeyArn),
    scheduler: createRetirementScheduler(stack.schedulerEnvironment),
    keyPrefix: stack.keyPrefix,
    catalog: stack.catalog,
    // With plans, organizations' usage identifiers are API Gateway API keys in the plans' usage plans (API.md §9).
    ...(stack.plans
      ? {
          plans: stack.plans.config,
          usageIdentifiers: new ApiGatewayUsageIdentifiers(gateway!, stack.plans.usagePlanIds, `${stack.stackName}-`),
          // `org set-plan` prints quota_used as the settings answer it: API Gateway's count.
          quotaUsage: (store) =>
            new ApiGatewayQuotaUsage(gateway!, stack.plans!.usagePlanIds, (organizationId) => store.getUsageIdentifier(organizationId)),
        }
      : {}),
  });
}

/**
 * The actor of the CLI's changes (API.md §3): `operator`, with the caller's AWS identity (STS
 * GetCallerIdentity, which needs no permission), or `local` and the OS user in local mode.
 */
export async function operatorActor(target: Target): Promise<Actor> {
  if (target.mode === 'local') return { type: 'operator', principal: 'local', user: userInfo().username };
  const client = new STSClient({});
  try {
    const { Arn: arn } = await client.send(new GetCallerIdentityCommand({}));
    if (!arn) throw new Error('STS did not name the caller');
    return { type: 'operator', principal: arn };
  } finally {
    client.destroy();
  }
}

/** Sends redriven emails as the notifier does: SES from the stack's sender, or the local SES emulator. */
export function mailerFor(target: Target): Mailer {
  if (target.mode === 'local') return new SesMailer(createSesClient(target.runtime.ses_url), LOCAL_SENDER);
  if (!target.stack.senderAddress) {
    throw new Error(`stack ${target.stack.stackName} sends no email (no sesSender): there is nothing to redrive`);
  }
  return new SesMailer(createSesClient(), target.stack.senderAddress);
}

export function failureQueueFor(stack: StackSettings): FailureQueue {
  return new SqsFailureQueue(new SQSClient({}), notifierFailureQueueUrl(stack));
}

/** Where a stack parks failed lifecycle jobs: the job failure queue, then the scheduler's dead-letter queue. */
export function parkedJobsFor(stack: StackSettings): ParkedJobs[] {
  const urls = jobQueueUrls(stack);
  const client = new SQSClient({});
  return urls.map((url) => new SqsRedriveQueue(client, url, parkedJobOf));
}

/** Runs a parked job again: the stack's own function (invoked), or the handler on the local stack's table. */
export function jobRunnerFor(target: Target, operator: Operator): JobRunner {
  if (target.mode === 'local') return operator.runJob;
  const { RETIRE_FUNCTION_ARN: retire, REMIND_FUNCTION_ARN: remind } = target.stack.schedulerEnvironment;
  return lambdaJobRunner(new LambdaClient({}), { retire, remind });
}
