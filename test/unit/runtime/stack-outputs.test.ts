import { jobQueueUrls, notifierFailureQueueUrl, parseStackOutputs, STACK_OUTPUT } from '../../../lambdas/runtime/stack-outputs';

const OUTPUTS: Record<string, string> = {
  [STACK_OUTPUT.tableName]: 'keyward-prod',
  [STACK_OUTPUT.tokenKeyArn]: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
  [STACK_OUTPUT.keyPrefix]: 'acme',
  [STACK_OUTPUT.resourceCatalog]: '["customer","invoice"]',
  [STACK_OUTPUT.notifierFailureQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/111122223333/keyward-prod-notifier-failures',
  [STACK_OUTPUT.scheduleGroupName]: 'keyward-prod',
  [STACK_OUTPUT.retireFunctionArn]: 'arn:aws:lambda:eu-west-1:111122223333:function:retire',
  [STACK_OUTPUT.remindFunctionArn]: 'arn:aws:lambda:eu-west-1:111122223333:function:remind',
  [STACK_OUTPUT.schedulerRoleArn]: 'arn:aws:iam::111122223333:role/scheduler',
  [STACK_OUTPUT.schedulerDlqArn]: 'arn:aws:sqs:eu-west-1:111122223333:dlq',
  [STACK_OUTPUT.jobFailureQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/111122223333/keyward-prod-job-failures',
  [STACK_OUTPUT.schedulerDlqUrl]: 'https://sqs.eu-west-1.amazonaws.com/111122223333/dlq',
};

describe('stack outputs read by keyward --stack', () => {
  it('gives the table, key, prefix, catalog, queues and scheduler settings of the stack', () => {
    expect(parseStackOutputs('kw-prod', OUTPUTS)).toEqual({
      stackName: 'kw-prod',
      tableName: 'keyward-prod',
      tokenKeyArn: OUTPUTS.TokenKeyArn,
      keyPrefix: 'acme',
      catalog: ['customer', 'invoice'],
      queueOutputs: {
        NotifierFailureQueueUrl: OUTPUTS.NotifierFailureQueueUrl,
        JobFailureQueueUrl: OUTPUTS.JobFailureQueueUrl,
        RetirementDlqUrl: OUTPUTS.RetirementDlqUrl,
      },
      schedulerEnvironment: {
        SCHEDULE_GROUP_NAME: 'keyward-prod',
        RETIRE_FUNCTION_ARN: OUTPUTS.RetireFunctionArn,
        REMIND_FUNCTION_ARN: OUTPUTS.RemindFunctionArn,
        SCHEDULER_ROLE_ARN: OUTPUTS.SchedulerRoleArn,
        SCHEDULER_DLQ_ARN: OUTPUTS.SchedulerDlqArn,
      },
    });
    expect(parseStackOutputs('kw-prod', { ...OUTPUTS, SenderAddress: 'keyward@acme.test' }).senderAddress).toBe('keyward@acme.test');
  });

  it('gives the plans and their usage plan ids when the stack has plans (API.md §9), and refuses bad ones', () => {
    const plans = { default_plan: 'free', plans: { free: { rate: 1, burst: 2, quota: null } } };
    const withPlans = { ...OUTPUTS, Plans: JSON.stringify(plans), UsagePlanIds: '{"free":"a1b2c3"}' };
    expect(parseStackOutputs('kw-prod', withPlans).plans).toEqual({ config: plans, usagePlanIds: { free: 'a1b2c3' } });
    expect(parseStackOutputs('kw-prod', OUTPUTS).plans).toBeUndefined();
    expect(() => parseStackOutputs('kw-prod', { ...withPlans, UsagePlanIds: 'not json' })).toThrow(/UsagePlanIds is not JSON/);
    expect(() => parseStackOutputs('kw-prod', { ...withPlans, Plans: '{"default_plan":"gold","plans":{}}' })).toThrow(/Plans/);
  });

  it("gives the failure queues to the redrives that read them: the notifier's, then the jobs' (on-failure destination first, then the scheduler's DLQ)", () => {
    const settings = parseStackOutputs('kw-prod', OUTPUTS);
    expect(notifierFailureQueueUrl(settings)).toBe(OUTPUTS.NotifierFailureQueueUrl);
    expect(jobQueueUrls(settings)).toEqual([OUTPUTS.JobFailureQueueUrl, OUTPUTS.RetirementDlqUrl]);
  });

  it('checks the failure queue outputs only when a redrive reads them', () => {
    const { NotifierFailureQueueUrl: _n, JobFailureQueueUrl: _j, ...withoutQueues } = OUTPUTS;
    const settings = parseStackOutputs('kw-old', { ...withoutQueues, RetirementDlqUrl: 'not a url' });
    expect(settings.tableName).toBe('keyward-prod');
    expect(() => notifierFailureQueueUrl(settings)).toThrow(
      /stack kw-old lacks the outputs `keyward notifications redrive` needs \(NotifierFailureQueueUrl/,
    );
    expect(() => jobQueueUrls(settings)).toThrow(/`keyward jobs redrive` needs \(JobFailureQueueUrl .*; RetirementDlqUrl .*\); deploy it/);
  });

  it('refuses a stack deployed without the outputs, naming them', () => {
    const { KeyPrefix: _prefix, ResourceCatalog: _catalog, ...older } = OUTPUTS;
    expect(() => parseStackOutputs('kw-old', older)).toThrow(/stack kw-old lacks .*KeyPrefix.*ResourceCatalog.*deploy it/);
  });

  it('refuses a bad prefix or catalog rather than minting keys the authorizer would reject', () => {
    expect(() => parseStackOutputs('kw', { ...OUTPUTS, KeyPrefix: 'Not-A-Prefix' })).toThrow(/KeyPrefix/);
    expect(() => parseStackOutputs('kw', { ...OUTPUTS, ResourceCatalog: 'customer,invoice' })).toThrow(/ResourceCatalog/);
  });
});
