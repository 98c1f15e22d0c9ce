import { OPERATION_LIST } from '../../lambdas/runtime/manifest';
import { synthKeyward } from './synth';
import { resourcesOf } from './template-helpers';

/** The resource types that hold state (data, keys, logs, messages, accounts, pending schedules). */
const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::SQS::Queue',
  'AWS::Cognito::UserPool',
  'AWS::Scheduler::ScheduleGroup',
];

const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Cognito::UserPool': 'UserPoolName',
  'AWS::Scheduler::ScheduleGroup': 'Name',
};

const ENTRIES = [
  'api-key-authorizer',
  'admin-authorizer',
  'example-echo',
  ...OPERATION_LIST.map((operation) => operation.entry),
  'retire-api-key',
  'remind-api-key-expiry',
  'notify-admins',
];

/** Every stateful resource with its fixed name (or `(generated)`) and its two policies. */
function statefulResources(stage: string): string[] {
  // Cognito admins (no external issuer), so the user pool is in the template too.
  const { template } = synthKeyward({ stage });
  return STATEFUL_TYPES.flatMap((type) =>
    Object.values(resourcesOf(template, type)).map((resource) => {
      const nameProperty = NAME_PROPERTY[type];
      const name = nameProperty === undefined ? undefined : resource.Properties?.[nameProperty];
      return `${type} ${typeof name === 'string' ? name : '(generated)'}: ${resource.DeletionPolicy}/${resource.UpdateReplacePolicy}`;
    }),
  ).sort();
}

function expected(stage: string, policies: string): string[] {
  return [
    `AWS::DynamoDB::Table keyward-${stage}: ${policies}`,
    `AWS::KMS::Key (generated): ${policies}`,
    ...ENTRIES.map((entry) => `AWS::Logs::LogGroup /aws/lambda/keyward-${stage}-${entry}: ${policies}`),
    // The access logs of the management and example APIs.
    `AWS::Logs::LogGroup (generated): ${policies}`,
    `AWS::Logs::LogGroup (generated): ${policies}`,
    `AWS::SQS::Queue keyward-${stage}-notifier-failures: ${policies}`,
    `AWS::SQS::Queue keyward-${stage}-retirement-dlq: ${policies}`,
    `AWS::Cognito::UserPool keyward-${stage}-admins: ${policies}`,
    `AWS::Scheduler::ScheduleGroup keyward-${stage}-retirements: ${policies}`,
  ].sort();
}

describe('removal policies of the stateful resources', () => {
  it('deletes them with the stack on a dev stage, so a redeploy of the stage finds its fixed names free', () => {
    expect(statefulResources('dev')).toEqual(expected('dev', 'Delete/Delete'));
    expect(statefulResources('devalice')).toEqual(expected('devalice', 'Delete/Delete'));
  });

  it('retains them on every other stage, except when the deploy that created them rolls back', () => {
    expect(statefulResources('prod')).toEqual(expected('prod', 'RetainExceptOnCreate/Retain'));
    expect(statefulResources('staging')).toEqual(expected('staging', 'RetainExceptOnCreate/Retain'));
  });

  it('keeps deletion protection on the table and the user pool outside dev stages only', () => {
    const prod = synthKeyward({ stage: 'prod' }).template;
    const dev = synthKeyward({ stage: 'dev' }).template;

    prod.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    prod.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'ACTIVE' });
    dev.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    dev.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'INACTIVE' });
  });
});
