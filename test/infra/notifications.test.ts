import { Match, type Template } from 'aws-cdk-lib/assertions';
import { MAILED_EVENT_TYPES } from '../../lib/constructs/notifications';
import { fnName, PROD_CONTEXT, synthKeyward } from './synth';
import { functionId, mentions, resourcesOf, usingAction } from './template-helpers';

/** The notifier's stream subscription (lib/constructs/notifications.ts). */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('the notifier subscription', () => {
  it('filters the stream to inserted, mailed audit events and used expiring keys, bisects on error, retries, honours partial failures and sends failures to SQS', () => {
    const notifierId = functionId(prod, fnName('notify-admins', 'prod'));
    const mapping = Object.values(resourcesOf(prod, 'AWS::Lambda::EventSourceMapping')).find((m) =>
      mentions(m.Properties!.FunctionName, notifierId),
    );
    const props = mapping!.Properties!;
    expect(props).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      StartingPosition: 'TRIM_HORIZON',
      Enabled: true,
    });
    const failureQueueId = Object.keys(resourcesOf(prod, 'AWS::SQS::Queue')).find((id) => id.startsWith('NotificationsFailureQueue'))!;
    expect(props.DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [failureQueueId, 'Arn'] } } });
    const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      {
        eventName: ['INSERT'],
        dynamodb: { Keys: { sk: { S: [{ prefix: 'EVENT#' }] } }, NewImage: { type: { S: [...MAILED_EVENT_TYPES] } } },
      },
      {
        eventName: ['MODIFY'],
        dynamodb: {
          Keys: { sk: { S: [{ prefix: 'KEY#' }] } },
          NewImage: { expires_at: { S: [{ exists: true }] }, last_used_at: { S: [{ exists: true }] } },
        },
      },
    ]);
  });

  it('is deployed disabled, with no SES rights and no identity, when no sender is configured', () => {
    dev.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId(dev, fnName('notify-admins')) },
      Enabled: false,
    });
    dev.resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(usingAction(dev, 'ses:SendEmail', 'dev')).toEqual([]);
  });

  it('gives a domain identity the custom MAIL FROM domain when one is configured, falling back to SES its own until its MX is published', () => {
    const template = synthKeyward({ stage: 'prod', sesSender: 'example.com', sesMailFromDomain: 'mail.example.com' }).template;
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'example.com',
      MailFromAttributes: { MailFromDomain: 'mail.example.com', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    });
    const plain = synthKeyward({ stage: 'prod', sesSender: 'example.com' }).template;
    plain.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.com', MailFromAttributes: Match.absent() });
  });
});
