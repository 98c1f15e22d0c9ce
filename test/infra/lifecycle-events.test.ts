import type { Template } from 'aws-cdk-lib/assertions';
import { fnName, PROD_CONTEXT, synthKeyward } from './synth';
import { actionsOf, environmentOf, functionId, mentions, resourcesOf, statementsOf, usingAction } from './template-helpers';

/** The event bus and its publisher (lib/constructs/lifecycle-events.ts). */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('the lifecycle events', () => {
  const publisher = (template: Template, stage = 'dev') => functionId(template, fnName('publish-events', stage));

  it('has a bus of the stage, named in the outputs', () => {
    prod.hasResourceProperties('AWS::Events::EventBus', { Name: 'keyward-prod-events' });
    const [busId] = Object.keys(resourcesOf(prod, 'AWS::Events::EventBus'));
    expect(prod.toJSON().Outputs.EventBusName.Value).toEqual({ Ref: busId });
    expect(prod.toJSON().Outputs.EventBusArn.Value).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(environmentOf(prod, fnName('publish-events', 'prod'))).toEqual(expect.objectContaining({ EVENT_BUS_NAME: { Ref: busId } }));
  });

  it('lets only the publisher put events, on that bus only, and gives it no table item', () => {
    const [busId] = Object.keys(resourcesOf(dev, 'AWS::Events::EventBus'));
    expect(usingAction(dev, 'events:PutEvents', 'dev')).toEqual(['publish-events']);
    const put = statementsOf(dev, fnName('publish-events')).filter((s) => JSON.stringify(s.Action).includes('events:'));
    expect(put).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } }),
    ]);
    expect(actionsOf(dev, fnName('publish-events')).filter((a) => a.startsWith('dynamodb:') && !/Stream|Shard|Records/.test(a))).toEqual(
      [],
    );
  });

  it('subscribes the publisher to every new audit event, with partial-failure reports, retries and its own failure queue', () => {
    const mapping = Object.values(resourcesOf(prod, 'AWS::Lambda::EventSourceMapping')).find((m) =>
      mentions(m.Properties!.FunctionName, publisher(prod, 'prod')),
    );
    const props = mapping!.Properties!;
    expect(props).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(props.Enabled ?? true).toBe(true);
    const queueId = Object.keys(resourcesOf(prod, 'AWS::SQS::Queue')).find((id) => id.startsWith('LifecycleEventsFailureQueue'))!;
    expect(props.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
    const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'EVENT#' }] } } } },
    ]);
    expect(resourcesOf(prod, 'AWS::SQS::Queue')[queueId]!.Properties?.QueueName).toBeUndefined();
  });
});
