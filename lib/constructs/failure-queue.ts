import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type StageProps, statefulRemovalPolicy } from '../stage';

/**
 * The on-failure destination of a stream consumer (the notifier, the event publisher): encrypted,
 * TLS only, 14 days to act on an alarm, kept like every stateful resource outside dev stages, and
 * a generated name so a failed first deploy can be run again.
 */
export function streamFailureQueue(scope: Construct, props: StageProps, consumer: string): sqs.Queue {
  const queue = new sqs.Queue(scope, 'FailureQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: statefulRemovalPolicy(props),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is the on-failure destination of the ${consumer}'s stream subscription.`,
  });
  return queue;
}
