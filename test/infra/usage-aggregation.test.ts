import type { Template } from 'aws-cdk-lib/assertions';
import { FULL_ACCESS_LOG_FIELDS, LEAN_ACCESS_LOG_FIELDS } from '../../lib/constructs/access-log-format';
import { fnName, PROD_CONTEXT, synthKeyward } from './synth';
import { actionsOf, environmentOf, functionId, functionProps, mentions, resourcesOf, statementsOf } from './template-helpers';

/**
 * Per-key usage (lib/constructs/usage-aggregation.ts, API.md §9): the consumer API's access log
 * feeds the aggregator through a subscription filter, off the request path; the aggregator writes
 * its own partitions only, and what it fails on lands in its own alarmed queue.
 */

let prod: Template;
beforeAll(() => {
  prod = synthKeyward(PROD_CONTEXT).template;
});

const queueId = (t: Template) => Object.keys(resourcesOf(t, 'AWS::SQS::Queue')).find((id) => id.startsWith('UsageFailureQueue'))!;

describe('the usage aggregator', () => {
  it("is subscribed to the example API's access log, in either format", () => {
    const filters = Object.values(resourcesOf(prod, 'AWS::Logs::SubscriptionFilter'));
    expect(filters).toHaveLength(1);
    const { LogGroupName, DestinationArn, FilterPattern } = filters[0]!.Properties!;
    const accessLogs = Object.keys(resourcesOf(prod, 'AWS::Logs::LogGroup')).find((id) => id.startsWith('ExampleApiAccessLogs'))!;
    expect(LogGroupName).toEqual({ Ref: accessLogs });
    expect(mentions(DestinationArn, functionId(prod, fnName('aggregate-usage', 'prod')))).toBe(true);
    // Every line: lean and full lines need different patterns; the aggregator skips what is no key's request.
    expect(FilterPattern).toBe('');
    // CloudWatch Logs may invoke it, from this log group only.
    const permission = Object.values(resourcesOf(prod, 'AWS::Lambda::Permission')).find((p) =>
      mentions(p.Properties!.FunctionName, functionId(prod, fnName('aggregate-usage', 'prod'))),
    )!;
    expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'logs.amazonaws.com' });
    expect(mentions(permission.Properties!.SourceArn, accessLogs)).toBe(true);
  });

  it('reads what it counts from fields both access log formats carry', () => {
    for (const field of ['o', 'k', 'd', 's']) {
      expect(Object.keys(LEAN_ACCESS_LOG_FIELDS)).toContain(field);
      expect(Object.keys(FULL_ACCESS_LOG_FIELDS)).toContain(field);
    }
    // The request's own time, in the full format; a lean line is counted at its log event's time.
    expect(Object.keys(FULL_ACCESS_LOG_FIELDS)).toContain('request_time_epoch');
  });

  it('may only Put and Update items of the usage and raw tally partitions', () => {
    expect(
      actionsOf(prod, fnName('aggregate-usage', 'prod'))
        .filter((action) => action.startsWith('dynamodb:'))
        .sort(),
    ).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const statement = statementsOf(prod, fnName('aggregate-usage', 'prod')).find((s) => JSON.stringify(s.Action).includes('dynamodb:'))!;
    expect(statement.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USAGE#*', 'USAGERAW#*'] } });
    expect(environmentOf(prod, fnName('aggregate-usage', 'prod'))).toHaveProperty('TABLE_NAME');
  });

  it('sends a batch that fails after 2 retries (or 6 h) to its own encrypted queue, which it may write to', () => {
    const name = fnName('aggregate-usage', 'prod');
    const configs = Object.values(resourcesOf(prod, 'AWS::Lambda::EventInvokeConfig')).filter((c) =>
      mentions(c.Properties!.FunctionName, functionId(prod, name)),
    );
    expect(configs.map((c) => c.Properties)).toEqual([
      {
        FunctionName: { Ref: functionId(prod, name) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId(prod), 'Arn'] } } },
      },
    ]);
    const send = statementsOf(prod, name).find((st) => JSON.stringify(st.Action).includes('sqs:SendMessage'))!;
    expect(mentions(send.Resource, queueId(prod))).toBe(true);
    expect(resourcesOf(prod, 'AWS::SQS::Queue')[queueId(prod)]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    expect((prod.toJSON().Outputs as Record<string, { Value: unknown }>).UsageFailureQueueUrl!.Value).toEqual({ Ref: queueId(prod) });
    expect(functionProps(prod, name).Timeout).toBe(60);
  });

  it('adds nothing to the request path: the authorizer and the echo keep their grants, and no method integrates with it', () => {
    const aggregator = functionId(prod, fnName('aggregate-usage', 'prod'));
    expect(Object.values(resourcesOf(prod, 'AWS::ApiGateway::Method')).some((m) => mentions(m.Properties, aggregator))).toBe(false);
    expect(Object.values(resourcesOf(prod, 'AWS::ApiGateway::Authorizer')).some((a) => mentions(a.Properties, aggregator))).toBe(false);
  });
});

describe('the usage rollup', () => {
  const name = fnName('roll-up-usage', 'prod');

  it('runs every 15 minutes, invoked by an EventBridge rule that may invoke it alone', () => {
    const rules = Object.values(resourcesOf(prod, 'AWS::Events::Rule')).filter((rule) =>
      mentions(rule.Properties!.Targets, functionId(prod, name)),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
    const permission = Object.values(resourcesOf(prod, 'AWS::Lambda::Permission')).find((p) =>
      mentions(p.Properties!.FunctionName, functionId(prod, name)),
    )!;
    expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
    expect(functionProps(prod, name).Timeout).toBe(300);
    expect(environmentOf(prod, name)).toHaveProperty('TABLE_NAME');
  });

  it('may only Query raw tallies and markers, Update counters and Put markers', () => {
    const statements = statementsOf(prod, name).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(statements.map((s) => [s.Action, s.Condition])).toEqual([
      ['dynamodb:Query', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USAGERAW#*', 'USAGEROLLUP'] } }],
      ['dynamodb:UpdateItem', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USAGE#*'] } }],
      ['dynamodb:PutItem', { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['USAGEROLLUP'] } }],
    ]);
  });

  it('sends a run that fails after 2 retries to its own encrypted queue, alarmed', () => {
    const rollupQueue = Object.keys(resourcesOf(prod, 'AWS::SQS::Queue')).find((id) => id.startsWith('UsageRollupFailureQueue'))!;
    const configs = Object.values(resourcesOf(prod, 'AWS::Lambda::EventInvokeConfig')).filter((c) =>
      mentions(c.Properties!.FunctionName, functionId(prod, name)),
    );
    expect(configs.map((c) => c.Properties)).toEqual([
      {
        FunctionName: { Ref: functionId(prod, name) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 900,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [rollupQueue, 'Arn'] } } },
      },
    ]);
    expect(resourcesOf(prod, 'AWS::SQS::Queue')[rollupQueue]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });
});
