import { Match, type Template } from 'aws-cdk-lib/assertions';
import { fnName, PROD_CONTEXT, synthKeyward } from './synth';
import {
  actionsOf,
  environmentOf,
  functionId,
  functionProps,
  mentions,
  resourcesOf,
  statementsOf,
  statementsOfRole,
} from './template-helpers';

/**
 * The lifecycle jobs (lib/constructs/retirement.ts): the schedule group, its role, the remind
 * function, and where the jobs' asynchronous invocations land when they fail.
 */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
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

describe('asynchronously invoked functions', () => {
  /**
   * keyward's functions no caller waits for: neither API Gateway (a permission for
   * apigateway.amazonaws.com) nor a stream's event-source mapping invokes them. CDK's own
   * custom-resource handlers are left out: CloudFormation turns their failure into a failed deploy.
   */
  function asyncInvoked(template: Template): string[] {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const invokedSync = (id: string) =>
      Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).some(
        (p) => p.Properties!.Principal === 'apigateway.amazonaws.com' && mentions(p.Properties!.FunctionName, id),
      ) ||
      Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).some((m) => mentions(m.Properties!.FunctionName, id)) ||
      // The usage aggregator is CloudWatch Logs' (usage-aggregation.test.ts checks its own queue).
      Object.values(resourcesOf(template, 'AWS::Logs::SubscriptionFilter')).some((f) => mentions(f.Properties!.DestinationArn, id)) ||
      // The usage rollup is an EventBridge rule's, with its own queue (usage-aggregation.test.ts checks it).
      Object.values(resourcesOf(template, 'AWS::Events::Rule')).some((r) => mentions(r.Properties!.Targets, id));
    return Object.entries(functions)
      .filter(([id, fn]) => String(fn.Properties!.FunctionName).startsWith('keyward-') && !invokedSync(id))
      .map(([, fn]) => fn.Properties!.FunctionName as string)
      .sort();
  }

  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])('%s: each one sends what fails after 2 retries (or 6 h) to an encrypted, TLS-only SQS queue it may write to', (stage, template) => {
    const t = template();
    expect(asyncInvoked(t)).toEqual([fnName('remind-api-key-expiry', stage), fnName('retire-api-key', stage)]);
    const queueId = Object.keys(resourcesOf(t, 'AWS::SQS::Queue')).find((id) => id.startsWith('RetirementJobFailureQueue'))!;
    for (const name of asyncInvoked(t)) {
      const configs = Object.values(resourcesOf(t, 'AWS::Lambda::EventInvokeConfig')).filter((c) =>
        mentions(c.Properties!.FunctionName, functionId(t, name)),
      );
      expect(configs.map((c) => c.Properties)).toEqual([
        {
          FunctionName: { Ref: functionId(t, name) },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 6 * 3600,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        },
      ]);
      const send = statementsOf(t, name).find((st) => JSON.stringify(st.Action).includes('sqs:SendMessage'))!;
      expect(mentions(send.Resource, queueId)).toBe(true);
    }
    expect(resourcesOf(t, 'AWS::SQS::Queue')[queueId]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86400,
    });
    const policy = Object.values(resourcesOf(t, 'AWS::SQS::QueuePolicy')).find((p) => mentions(p.Properties!.Queues, queueId))!;
    expect(JSON.stringify(policy.Properties!.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('gives the retire function the time to wait out a schedule firing a minute early, and then to work', () => {
    expect(functionProps(dev, fnName('retire-api-key')).Timeout).toBe(70);
  });

  it('names both queues of failed jobs in the outputs `keyward jobs redrive` reads', () => {
    const outputs = prod.toJSON().Outputs as Record<string, { Value: unknown }>;
    const queue = (prefix: string) => Object.keys(resourcesOf(prod, 'AWS::SQS::Queue')).find((id) => id.startsWith(prefix))!;
    expect(outputs.JobFailureQueueUrl!.Value).toEqual({ Ref: queue('RetirementJobFailureQueue') });
    expect(outputs.RetirementDlqUrl!.Value).toEqual({ Ref: queue('RetirementDeadLetterQueue') });
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
