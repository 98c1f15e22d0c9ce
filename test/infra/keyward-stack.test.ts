import { Match, type Template } from 'aws-cdk-lib/assertions';
import { PROD_CONTEXT, synthKeyward } from './synth';

/** The stack as a whole: the stage in names and tags. */

let prod: Template;

beforeAll(() => {
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('stage naming', () => {
  it('puts the stage in API names and tags every resource with it', () => {
    prod.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'keyward-prod-management' });
    prod.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'keyward-prod-example' });
    prod.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod', TracingEnabled: true });
    prod.hasResourceProperties('AWS::SQS::Queue', { Tags: Match.arrayWith([{ Key: 'stage', Value: 'prod' }]) });
  });
});
