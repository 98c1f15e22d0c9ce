import { Match, type Template } from 'aws-cdk-lib/assertions';
import { fnName, synthKeyward } from './synth';
import { actionsOf, environmentOf, functionId, mentions, resourcesOf, statementsOfRole } from './template-helpers';

/** The lifecycle jobs (lib/constructs/retirement.ts): the schedule group, its role, and the remind function. */

let dev: Template;

beforeAll(() => {
  dev = synthKeyward().template;
});

describe('the retirement schedule', () => {
  it('has a stage schedule group and a scheduler role that may only invoke the retire and remind functions and fill the DLQ', () => {
    dev.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'keyward-dev-retirements' });
    dev.hasResourceProperties('AWS::SQS::Queue', { QueueName: Match.absent(), SqsManagedSseEnabled: true });
    const [roleId, role] = Object.entries(resourcesOf(dev, 'AWS::IAM::Role')).find(([id]) => id.startsWith('RetirementSchedulerRole'))!;
    expect(JSON.stringify(role.Properties!.AssumeRolePolicyDocument)).toContain('scheduler.amazonaws.com');
    expect(JSON.stringify(role.Properties!.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');

    const statements = statementsOfRole(dev, roleId);
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
    expect(invoke.Resource).toEqual([
      { 'Fn::GetAtt': [functionId(dev, fnName('retire-api-key')), 'Arn'] },
      { 'Fn::GetAtt': [functionId(dev, fnName('remind-api-key-expiry')), 'Arn'] },
    ]);
    const send = statements.find((s) => JSON.stringify(s.Action).includes('sqs:SendMessage'))!;
    expect(
      mentions(send.Resource, Object.keys(resourcesOf(dev, 'AWS::SQS::Queue')).find((id) => id.startsWith('RetirementDeadLetterQueue'))!),
    ).toBe(true);
  });
});

describe('the remind function', () => {
  it('reads and writes the table (the reminder marker and its event, in one transaction) and nothing else', () => {
    const actions = actionsOf(dev, fnName('remind-api-key-expiry'));
    expect(actions.some((a) => a.startsWith('kms:') || a.startsWith('scheduler:') || a.startsWith('ses:'))).toBe(false);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(environmentOf(dev, fnName('remind-api-key-expiry'))).toEqual(expect.objectContaining({ TABLE_NAME: expect.anything() }));
  });
});
