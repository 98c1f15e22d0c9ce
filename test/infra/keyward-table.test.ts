import { Match, type Template } from 'aws-cdk-lib/assertions';
import { fnName, PROD_CONTEXT, synthKeyward } from './synth';
import { environmentOf, resourcesOf } from './template-helpers';

/** The single table (lib/constructs/keyward-table.ts). */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('the table', () => {
  it('is on-demand with pk/sk, PITR, a NEW_IMAGE stream, the ttl attribute and KMS encryption', () => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      Tags: Match.arrayWith([{ Key: 'stage', Value: 'dev' }]),
    });
  });

  it('has deletion protection outside dev and none in dev (removal policies: removal-policies.test.ts)', () => {
    prod.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    dev.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('has a generated name unless the tableName context pins one, which every function is told', () => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', { TableName: Match.absent() });
    const tableId = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table'))[0]!;
    expect(environmentOf(dev, fnName('list-api-keys')).TABLE_NAME).toEqual({ Ref: tableId });

    const pinned = synthKeyward({ stage: 'prod', tableName: 'keyward-prod' }).template;
    pinned.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'keyward-prod' });
  });
});
