import type { CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { apiKeyItem } from '../../../lambdas/adapters/dynamodb/items';
import { USAGE_WRITE_ATTRIBUTES } from '../../../lambdas/table/layout';
import type { AwsCall, DeployedFunction, Deployment } from '../../support/iam-deployment';
import type { PolicyDocument, Verdict } from '../../support/iam-simulator';
import { callsOfCommand, operationCalls, operationOf, platformCalls, type SdkStubs, scheduleRunCalls } from './aws-calls';
import { DRIVERS } from './drivers';

/** A deployed stage with every call each keyward function makes, and what Scheduler does when their schedules fire. */
export interface StageCalls {
  readonly deployment: Deployment;
  /** By function name (`keyward-<stage>-<entry>`). */
  readonly functions: ReadonlyMap<string, { fn: DeployedFunction; calls: AwsCall[] }>;
  readonly scheduleRuns: AwsCall[];
}

/** keyward's own functions, named `keyward-<stage>-…` (CDK's custom-resource handlers have generated names). */
export function keywardFunctions(d: Deployment): DeployedFunction[] {
  return d.functions().filter((fn) => d.template.resource(fn.logicalId).Properties?.FunctionName !== undefined);
}

export async function deriveStageCalls(d: Deployment, stubs: SdkStubs): Promise<StageCalls> {
  const functions = new Map<string, { fn: DeployedFunction; calls: AwsCall[] }>();
  const schedules: CreateScheduleCommandInput[] = [];
  for (const fn of keywardFunctions(d)) {
    const row = operationOf(d, fn);
    const entry = fn.name.slice(d.template.stackName.length + 1);
    let calls: AwsCall[];
    if (row) {
      const derived = await operationCalls(d, fn, row, stubs);
      calls = derived.calls;
      schedules.push(...derived.schedules);
    } else {
      const driver = DRIVERS[entry];
      if (!driver) throw new Error(`${fn.name} is neither an operation of the manifest nor driven (drivers.ts): its AWS calls are unknown`);
      calls = (await driver(d, fn, stubs)).flatMap((command) => callsOfCommand(d, fn.session, command));
    }
    functions.set(fn.name, { fn, calls: distinct([...platformCalls(d, fn), ...calls]) });
  }
  return { deployment: d, functions, scheduleRuns: distinct(schedules.flatMap((schedule) => scheduleRunCalls(d, schedule))) };
}

/** Each call once (scenarios and jobs repeat the same requests). */
function distinct(calls: AwsCall[]): AwsCall[] {
  return [...new Map(calls.map((call) => [JSON.stringify(call), call])).values()];
}

export interface Finding {
  readonly call: AwsCall;
  readonly verdict: Verdict;
  readonly explanation: string;
}

const describeCall = (call: AwsCall) =>
  `${call.principal.split('/').slice(-1)[0] ?? call.principal} ${call.action} ${call.resource}${call.context ? ` ${JSON.stringify(call.context)}` : ''}`;

/** The calls IAM would not allow (AWS would answer AccessDenied). */
export async function refusedCalls(d: Deployment, calls: readonly AwsCall[]): Promise<string[]> {
  const refused: string[] = [];
  for (const call of calls) {
    const { verdict, explanation } = await d.simulate(call);
    if (verdict !== 'Allowed') refused.push(`${describeCall(call)} → ${verdict} (${explanation})`);
  }
  return refused;
}

/** The calls IAM would allow. */
export async function allowedCalls(d: Deployment, calls: readonly { why: string; call: AwsCall }[]): Promise<string[]> {
  const allowed: string[] = [];
  for (const { why, call } of calls) {
    if ((await d.simulate(call)).verdict === 'Allowed') allowed.push(`${why}: ${describeCall(call)}`);
  }
  return allowed;
}

/**
 * Grants that no call uses, by action, for keyward's functions. CDK's `SqsDlq` and `SqsDestination` grant the
 * on-failure queue `sqs:GetQueueAttributes` and `sqs:GetQueueUrl` with `sqs:SendMessage`; Lambda
 * needs only the last, and these two read nothing of the data.
 */
const CDK_EXTRAS = new Set(['sqs:getqueueattributes', 'sqs:getqueueurl']);

export function unusedGrants(d: Deployment, fn: DeployedFunction, calls: readonly AwsCall[]): string[] {
  // Never invoked (the notifier of a stage without a sender): its grants are those it runs with once enabled.
  if (fn.eventSources.length > 0 && fn.eventSources.every((source) => !source.enabled)) return [];
  const used = new Set(calls.map((call) => call.action.toLowerCase()));
  const granted = d
    .identityPolicies(fn.roleLogicalId)
    .flatMap(({ policy }) => policy.Statement as { Effect: string; Action: string | string[] }[])
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => [statement.Action].flat());
  return [...new Set(granted)].filter((action) => !used.has(action.toLowerCase()) && !CDK_EXTRAS.has(action.toLowerCase()));
}

/** What each service presents when it assumes a role: Scheduler is checked with the schedules the functions create. */
const SERVICES_WITHOUT_SOURCE = new Set(['lambda.amazonaws.com', 'apigateway.amazonaws.com']);

/**
 * Every role of the template, assumed by each service its trust policy names, with the context
 * that service really sends. A service whose context is not modelled fails, as does a Scheduler
 * role that no schedule uses.
 */
export function trustCalls(stage: StageCalls): AwsCall[] {
  const d = stage.deployment;
  return d.template.resourcesOf('AWS::IAM::Role').flatMap(([roleId]) => {
    const roleArn = d.template.getAtt(roleId, 'Arn');
    const services = (d.trustPolicy(roleId).Statement as { Principal?: { Service?: string | string[] } }[]).flatMap((statement) =>
      [statement.Principal?.Service ?? []].flat(),
    );
    return services.flatMap((service): AwsCall[] => {
      if (SERVICES_WITHOUT_SOURCE.has(service)) return [{ principal: service, action: 'sts:AssumeRole', resource: roleArn }];
      if (service === 'scheduler.amazonaws.com') {
        const runs = stage.scheduleRuns.filter((call) => call.principal === service && call.resource === roleArn);
        if (runs.length === 0) throw new Error(`${roleId} trusts Scheduler, but no schedule the functions create runs as it`);
        return runs;
      }
      throw new Error(`${roleId} trusts ${service}, whose AssumeRole context is not modelled here`);
    });
  });
}

/** A stranger in the account: a role whose own policy allows every KMS action. */
const KMS_ADMIN_POLICY: { name: string; policy: PolicyDocument } = {
  name: 'kms-everything',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] },
};

/** Calls that must be refused, each with why. */
export function mustDenyCalls(stage: StageCalls): { why: string; call: AwsCall }[] {
  const d = stage.deployment;
  const calls = (entry: string) => stage.functions.get(`${d.template.stackName}-${entry}`)?.calls ?? [];
  const first = (entry: string, action: string) => {
    const call = calls(entry).find((candidate) => candidate.action === action);
    if (!call) throw new Error(`${entry} makes no ${action} call to build a must-deny case on`);
    return call;
  };
  const denials: { why: string; call: AwsCall }[] = [];

  // The authorizer writes last_used_at and nothing else: each other attribute of a key item, added to its usage write.
  const usageWrite = calls('api-key-authorizer').find((call) => call.action === 'dynamodb:UpdateItem')!;
  const keyAttributes = Object.keys(apiKeyItem({ ...SAMPLE_KEY })).filter(
    (name) => !(USAGE_WRITE_ATTRIBUTES as readonly string[]).includes(name),
  );
  for (const attribute of keyAttributes) {
    denials.push({
      why: `the api-key authorizer writes ${attribute}`,
      call: { ...usageWrite, context: { 'dynamodb:Attributes': [...USAGE_WRITE_ATTRIBUTES, attribute] } },
    });
  }
  for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:Scan']) {
    denials.push({ why: `the api-key authorizer ${action}`, call: { ...usageWrite, action, context: {} } });
  }

  // The usage aggregator writes raw tallies and (late lines) counters, nothing else: not a key, an
  // organization, a hot item, an audit event or the rollup's markers, and it never reads or deletes.
  const counterWrite = first('aggregate-usage', 'dynamodb:UpdateItem');
  const rawWrite = first('aggregate-usage', 'dynamodb:PutItem');
  for (const partition of ['ORG#acme', 'KEYHASH#0123abcd', 'USER#admin@acme.test', 'DELIVERY#01JDQ3V8Z6M1X0K9B7C5N4P2R8', 'USAGEROLLUP']) {
    for (const write of [counterWrite, rawWrite]) {
      denials.push({
        why: `the usage aggregator ${write.action} in ${partition}`,
        call: { ...write, context: { ...write.context, 'dynamodb:LeadingKeys': [partition] } },
      });
    }
    denials.push({
      why: `the usage aggregator writes usage and ${partition} in one request`,
      call: { ...counterWrite, context: { ...counterWrite.context, 'dynamodb:LeadingKeys': ['USAGE#acme', partition] } },
    });
  }
  for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem']) {
    denials.push({ why: `the usage aggregator ${action}`, call: { ...counterWrite, action } });
  }
  denials.push({ why: 'the usage aggregator dynamodb:Scan', call: { ...counterWrite, action: 'dynamodb:Scan', context: {} } });

  // The usage rollup reads raw tallies and markers, adds to counters and puts markers: each in its
  // own partitions only; it never reads a key or an organization, and never deletes.
  const rollupRead = first('roll-up-usage', 'dynamodb:Query');
  const rollupAdd = first('roll-up-usage', 'dynamodb:UpdateItem');
  const rollupMark = first('roll-up-usage', 'dynamodb:PutItem');
  const leading = (call: AwsCall, partition: string) => ({ ...call, context: { ...call.context, 'dynamodb:LeadingKeys': [partition] } });
  for (const partition of ['ORG#acme', 'KEYHASH#0123abcd', 'USER#admin@acme.test', 'USAGE#acme']) {
    denials.push({ why: `the usage rollup queries ${partition}`, call: leading(rollupRead, partition) });
  }
  for (const partition of ['ORG#acme', 'KEYHASH#0123abcd', 'USAGERAW#2026-12-07T10:00:00.000Z', 'USAGEROLLUP']) {
    denials.push({ why: `the usage rollup updates in ${partition}`, call: leading(rollupAdd, partition) });
  }
  for (const partition of ['ORG#acme', 'USAGE#acme', 'USAGERAW#2026-12-07T10:00:00.000Z']) {
    denials.push({ why: `the usage rollup puts in ${partition}`, call: leading(rollupMark, partition) });
  }
  for (const action of ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
    denials.push({ why: `the usage rollup ${action}`, call: { ...rollupAdd, action } });
  }
  denials.push({ why: 'the usage rollup dynamodb:Scan', call: { ...rollupRead, action: 'dynamodb:Scan', context: {} } });

  // Only reveal decrypts; only create and rotate encrypt.
  const encrypt = first('create-api-key', 'kms:Encrypt');
  const decrypt = first('reveal-api-key', 'kms:Decrypt');
  denials.push({ why: 'reveal encrypts', call: { ...encrypt, principal: decrypt.principal } });
  for (const entry of ['create-api-key', 'rotate-api-key']) {
    denials.push({ why: `${entry} decrypts`, call: { ...decrypt, principal: first(entry, 'kms:Encrypt').principal } });
  }
  for (const fn of keywardFunctions(d).filter(
    (candidate) => !calls(candidate.name.slice(d.template.stackName.length + 1)).some((call) => call.action.startsWith('kms:')),
  )) {
    denials.push({ why: `${fn.name} encrypts`, call: { ...encrypt, principal: fn.session } });
    denials.push({ why: `${fn.name} decrypts`, call: { ...decrypt, principal: fn.session } });
  }
  // Every use carries exactly the token's encryption context.
  const context = encrypt.context!;
  denials.push({
    why: 'create encrypts without an encryption context',
    call: { ...encrypt, context: { 'kms:EncryptionContextKeys': [] } },
  });
  denials.push({
    why: 'create encrypts with organization_id alone',
    call: {
      ...encrypt,
      context: {
        'kms:EncryptionContext:organization_id': context['kms:EncryptionContext:organization_id']!,
        'kms:EncryptionContextKeys': ['organization_id'],
      },
    },
  });
  denials.push({
    why: 'reveal decrypts with an extra context key',
    call: {
      ...decrypt,
      context: {
        ...decrypt.context,
        'kms:EncryptionContext:purpose': 'x',
        'kms:EncryptionContextKeys': ['organization_id', 'api_key_id', 'purpose'],
      },
    },
  });
  // The account root, and a role of the account whose policy allows kms:*, may administer the key, never use it.
  const root = `arn:aws:iam::${d.account}:root`;
  const stranger = `arn:aws:sts::${d.account}:assumed-role/keyward-admin/alice`;
  for (const action of ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:GenerateDataKey', 'kms:CreateGrant']) {
    denials.push({ why: `the account root ${action}`, call: { ...encrypt, principal: root, action } });
    denials.push({
      why: `a kms:* role of the account ${action}`,
      call: { ...encrypt, principal: stranger, action, identityPolicies: [KMS_ADMIN_POLICY] },
    });
  }

  // No function touches another table, or the same name in another account.
  for (const [name, { calls: own }] of stage.functions) {
    for (const call of own.filter(
      (candidate) =>
        candidate.action.startsWith('dynamodb:') && candidate.resource.includes(':table/') && !candidate.resource.includes('/stream/'),
    )) {
      denials.push({
        why: `${name} ${call.action} on another table`,
        call: { ...call, resource: call.resource.replace(/table\/.*/, 'table/another-table') },
      });
    }
  }

  // Scheduler assumes the role only for this account's group of this stage.
  for (const run of stage.scheduleRuns.filter((call) => call.action === 'sts:AssumeRole')) {
    const group = run.context!['aws:SourceArn'] as string;
    denials.push({
      why: 'Scheduler for another group',
      call: { ...run, context: { ...run.context, 'aws:SourceArn': group.replace(/[^/]+$/, 'another-group') } },
    });
    denials.push({
      why: 'Scheduler for another account',
      call: { ...run, context: { 'aws:SourceArn': group.replace(d.account, '444455556666'), 'aws:SourceAccount': '444455556666' } },
    });
  }
  // The scheduler role is passed to Scheduler only; schedules go in the stage's group only.
  for (const [name, { calls: own }] of stage.functions) {
    for (const call of own.filter((candidate) => candidate.action === 'iam:PassRole')) {
      denials.push({
        why: `${name} passes the scheduler role to Lambda`,
        call: { ...call, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      });
    }
    for (const call of own.filter((candidate) => candidate.action.startsWith('scheduler:'))) {
      denials.push({
        why: `${name} ${call.action} in another group`,
        call: { ...call, resource: call.resource.replace(/schedule\/[^/]+\//, 'schedule/another-group/') },
      });
    }
  }
  // The notifier sends from the stage's sender only.
  for (const call of calls('notify-admins').filter((candidate) => candidate.action === 'ses:SendEmail')) {
    denials.push({ why: 'the notifier sends from another address', call: { ...call, context: { 'ses:FromAddress': 'ceo@example.com' } } });
  }
  return denials;
}

const SAMPLE_KEY = {
  id: '01JDQ3V8Z6M1X0K9B7C5N4P2R8',
  version: 1,
  organizationId: 'acme',
  name: 'billing',
  maskedValue: 'kw_••••abcd',
  permissions: { customer: ['read' as const] },
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-02-01T00:00:00.000Z',
  expirySource: 'request' as const,
  reminderMarks: [7],
  lastUsedAt: '2026-01-15T00:00:00.000Z',
  tokenHash: 'hash',
  encryptedToken: 'c2VhbGVk',
  retirementJobId: 'job-1',
};
