import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type StageProps, statefulRemovalPolicy } from '../stage';

/**
 * A queue of work given up on (the on-failure destination of a stream consumer or of an
 * asynchronously invoked function, the scheduler's dead-letter queue): encrypted, TLS only, 14 days
 * to act on an alarm, kept like every stateful resource outside dev stages, and a generated name
 * so a failed first deploy can be run again.
 */
export function failureQueue(scope: Construct, props: StageProps, options: { id?: string; holds: string }): sqs.Queue {
  const queue = new sqs.Queue(scope, options.id ?? 'FailureQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: statefulRemovalPolicy(props),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself where failures land: ${options.holds}.`,
  });
  return queue;
}
