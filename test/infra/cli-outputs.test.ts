import type { Template } from 'aws-cdk-lib/assertions';
import { STACK_OUTPUT } from '../../lambdas/runtime/stack-outputs';
import { synthKeyward } from './synth';
import { environmentOf, resourcesOf } from './template-helpers';

/** The outputs `keyward --stack` reads (API.md §4), as the template declares them. */
function outputs(template: Template): Record<string, unknown> {
  const declared = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  return Object.fromEntries(Object.entries(declared).map(([name, output]) => [name, output.Value]));
}

const logicalIdOf = (template: Template, type: string): string => Object.keys(resourcesOf(template, type))[0]!;

describe("the stack's outputs for the keyward CLI", () => {
  const prod = synthKeyward({
    stage: 'prod',
    sesSender: 'keys@example.com',
    keyPrefix: 'acme',
    resourceCatalog: 'customer,invoice',
  }).template;
  const dev = synthKeyward().template;

  it('give the key prefix and catalog the authorizer and the key functions use', () => {
    const values = outputs(prod);
    expect(values[STACK_OUTPUT.keyPrefix]).toBe('acme');
    expect(JSON.parse(values[STACK_OUTPUT.resourceCatalog] as string)).toEqual(['customer', 'invoice']);
    expect(environmentOf(prod, 'keyward-prod-api-key-authorizer')).toMatchObject({ KEY_PREFIX: 'acme' });
    expect(environmentOf(prod, 'keyward-prod-create-api-key')).toMatchObject({ KEY_PREFIX: 'acme', RESOURCE_CATALOG: 'customer,invoice' });
  });

  it('name the table, token key, failure queue and scheduler settings by reference', () => {
    const values = outputs(prod);
    expect(values[STACK_OUTPUT.tableName]).toEqual({ Ref: logicalIdOf(prod, 'AWS::DynamoDB::Table') });
    expect(values[STACK_OUTPUT.tokenKeyArn]).toEqual({ 'Fn::GetAtt': [logicalIdOf(prod, 'AWS::KMS::Key'), 'Arn'] });
    const retire = environmentOf(prod, 'keyward-prod-rotate-api-key');
    expect(values[STACK_OUTPUT.scheduleGroupName]).toEqual(retire.SCHEDULE_GROUP_NAME);
    expect(values[STACK_OUTPUT.retireFunctionArn]).toEqual(retire.RETIRE_FUNCTION_ARN);
    expect(values[STACK_OUTPUT.schedulerRoleArn]).toEqual(retire.SCHEDULER_ROLE_ARN);
    expect(values[STACK_OUTPUT.schedulerDlqArn]).toEqual(retire.SCHEDULER_DLQ_ARN);
    expect(JSON.stringify(values[STACK_OUTPUT.notifierFailureQueueUrl])).toContain('FailureQueue');
  });

  it('give the sender address only when the stack sends email, with the default prefix and catalog otherwise', () => {
    expect(outputs(prod)[STACK_OUTPUT.senderAddress]).toBe('keys@example.com');
    const values = outputs(dev);
    expect(values).not.toHaveProperty(STACK_OUTPUT.senderAddress);
    expect(values[STACK_OUTPUT.keyPrefix]).toBe('kw');
    expect(JSON.parse(values[STACK_OUTPUT.resourceCatalog] as string)).toContain('webhook_jwt_public_key');
  });
});
