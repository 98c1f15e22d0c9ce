import type { ContextKey } from '../../lib/config';
import { KEYWARD_ENTRIES, synthKeyward } from './synth';
import { resourcesOf, statementsOf } from './template-helpers';

/** The resource types that hold state (data, keys, logs, messages, accounts, pending schedules). */
const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::SQS::Queue',
  'AWS::Cognito::UserPool',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::SES::EmailIdentity',
];

const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Cognito::UserPool': 'UserPoolName',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::SES::EmailIdentity': 'EmailIdentity',
};

/** Every stateful resource with its fixed name (or `(generated)`) and its two policies. */
function statefulResources(stage: string, context: Partial<Record<ContextKey, string>> = {}): string[] {
  // Cognito admins (no external issuer), so the user pool is in the template too; a sender, so the SES identity is.
  const { template } = synthKeyward({ stage, sesSender: 'example.com', ...context });
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
    `AWS::DynamoDB::Table (generated): ${policies}`,
    `AWS::KMS::Key (generated): ${policies}`,
    ...KEYWARD_ENTRIES.map((entry) => `AWS::Logs::LogGroup /aws/lambda/keyward-${stage}-${entry}: ${policies}`),
    // The access logs of the management and example APIs.
    `AWS::Logs::LogGroup (generated): ${policies}`,
    `AWS::Logs::LogGroup (generated): ${policies}`,
    // The notifier's failure queue, the event publisher's, the scheduler's DLQ and the job failure queue.
    `AWS::SQS::Queue (generated): ${policies}`,
    `AWS::SQS::Queue (generated): ${policies}`,
    `AWS::SQS::Queue (generated): ${policies}`,
    `AWS::SQS::Queue (generated): ${policies}`,
    // The usage aggregator's failure queue and the usage rollup's.
    `AWS::SQS::Queue (generated): ${policies}`,
    `AWS::SQS::Queue (generated): ${policies}`,
    // Cognito user pool names need not be unique: a kept pool never blocks a new one.
    `AWS::Cognito::UserPool keyward-${stage}-admins: ${policies}`,
    `AWS::Scheduler::ScheduleGroup keyward-${stage}-retirements: ${policies}`,
    // An identity's name is the address or domain itself (see sesIdentityExists).
    `AWS::SES::EmailIdentity example.com: ${policies}`,
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

  it('generates the name of every stateful resource that could be left behind, unless a context parameter pins it', () => {
    // Names kept fixed on purpose: function log groups (found by function name; see docs/deploying.md,
    // "Retrying a failed deploy"), the schedule group (the scheduler role's trust names it), the
    // user pool (names need not be unique) and the SES identity (it is its name).
    const fixed = statefulResources('prod').filter((line) => !line.includes('(generated)'));
    expect(
      fixed.filter(
        (line) => !/^AWS::(Logs::LogGroup \/aws\/lambda\/|Scheduler::ScheduleGroup |Cognito::UserPool |SES::EmailIdentity )/.test(line),
      ),
    ).toEqual([]);

    expect(statefulResources('prod', { tableName: 'keyward-prod' })).toContain(
      'AWS::DynamoDB::Table keyward-prod: RetainExceptOnCreate/Retain',
    );
  });

  it('creates no SES identity when sesIdentityExists says it is there already, and still lets the notifier send from it', () => {
    const { template } = synthKeyward({ stage: 'prod', sesSender: 'example.com', sesIdentityExists: 'true' });

    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(JSON.stringify(statementsOf(template, 'keyward-prod-notify-admins'))).toContain('{"ses:FromAddress":"no-reply@example.com"}');
    expect(() => synthKeyward({ sesIdentityExists: 'true' })).toThrow('invalid context "sesIdentityExists": is only used with sesSender');
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
