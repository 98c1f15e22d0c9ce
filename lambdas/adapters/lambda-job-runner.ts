import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { LifecycleJob } from './eventbridge-retirement-scheduler';

/**
 * Runs a parked lifecycle job again in AWS (`keyward jobs redrive`): invokes the deployed retire or
 * remind function with the job's original payload, synchronously, so the answer says whether it
 * succeeded. Rejects with the function's error when the handler failed.
 */
export function lambdaJobRunner(
  client: LambdaClient,
  functions: Record<LifecycleJob['kind'], string>,
): (job: LifecycleJob) => Promise<void> {
  return async (job) => {
    const reply = await client.send(
      new InvokeCommand({
        FunctionName: functions[job.kind],
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(job.payload)),
      }),
    );
    if (reply.FunctionError) {
      const answer = reply.Payload ? new TextDecoder().decode(reply.Payload) : '';
      let message = answer;
      try {
        message = (JSON.parse(answer) as { errorMessage?: string }).errorMessage ?? answer;
      } catch {
        // Not JSON (a runtime crash): the raw answer says what happened.
      }
      throw new Error(`${functions[job.kind]} failed (${reply.FunctionError}): ${message}`);
    }
  };
}
