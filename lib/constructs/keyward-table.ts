import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../lambdas/table/layout';
import { type StageProps, statefulRemovalPolicy } from '../stage';

export interface KeywardTableProps extends StageProps {
  /**
   * A fixed physical name, for tooling that must know it in advance. Retained outside dev, a fixed
   * name is taken for good once its stack is deleted: re-creating the stack then fails until the
   * old table is deleted or imported.
   * @default a name CloudFormation generates (`keyward-<stage>-DataTable…`; the `TableName` output)
   */
  readonly tableName?: string;
}

/**
 * The single table (DESIGN.md "One DynamoDB table"): on-demand, point-in-time recovery, deletion
 * protection outside dev, a NEW_IMAGE stream for the notification outbox, and a TTL attribute.
 * Its name is generated unless one is asked for, so no table left behind can block a deploy.
 */
export class KeywardTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: KeywardTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      // The layout the runtime reads and writes (lambdas/table/layout.ts).
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !props.isDevStage,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The AWS managed key (aws/dynamodb), not a customer managed one: a customer managed key
      // would have to be granted to every function, including the authorizer, which holds no KMS
      // rights by design. Use of the managed key still shows in CloudTrail.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Keys and organizations are the product's data: only a dev stage may drop them with the stack.
      removalPolicy: statefulRemovalPolicy(props),
    });
  }
}
