import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * AWS's policy evaluation, offline, through @cloud-copilot/iam-simulate (AGPL-3.0: a dev
 * dependency of the tests only; nothing under lambdas/, lib/ or bin/ may import it, which
 * test/infra/iam/license-guard.test.ts checks). It evaluates a request the way IAM does: identity
 * policies, the resource's policy (a KMS key policy decides alone unless it delegates to the
 * account; a role's trust policy must name the principal even in its own account), explicit Deny
 * first, each service's own rules, conditions against the request context.
 */

export interface PolicyDocument {
  Version?: string;
  Statement: unknown[];
}

export interface SimulationInput {
  /** An ARN (a role session `arn:aws:sts::<account>:assumed-role/<role>/<session>`, the account root) or a service principal. */
  readonly principal: string;
  /** `service:Action`. */
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource (an S3 ARN carries none). */
  readonly resourceAccount: string;
  /** The request context AWS sends (`aws:SourceArn`, `kms:EncryptionContext:<key>`, `dynamodb:Attributes`, …). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  readonly identityPolicies?: readonly { name: string; policy: PolicyDocument }[];
  readonly resourcePolicy?: PolicyDocument;
}

export type Verdict = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface SimulationResult {
  readonly verdict: Verdict;
  /** The identity and resource policy results, for a failure message. */
  readonly explanation: string;
}

/**
 * The simulator (0.1.173) matches variable condition keys only in their `prefix/${name}` form
 * (`aws:RequestTag/${TagKey}`), so it drops `kms:EncryptionContext:<key>` from the request as not
 * applicable and a `Null: false` condition on it can never hold. Both the policies and the request
 * carry such a key under one alias of the `/` form, which evaluates the same way (a string,
 * present or absent).
 */
const ENCRYPTION_CONTEXT_KEY = /^kms:EncryptionContext:(.+)$/i;
const aliasKey = (key: string): string => key.replace(ENCRYPTION_CONTEXT_KEY, 'aws:ResourceTag/kms-encryption-context-$1');

function aliasPolicy(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((statement) => {
      const { Condition: condition, ...rest } = statement as { Condition?: Record<string, Record<string, unknown>> };
      if (!condition) return statement;
      return {
        ...rest,
        Condition: Object.fromEntries(
          Object.entries(condition).map(([operator, block]) => [
            operator,
            Object.fromEntries(Object.entries(block).map(([key, value]) => [aliasKey(key), value])),
          ]),
        ),
      };
    }),
  };
}

/** Evaluates one request; a request the simulator cannot evaluate (unknown action, invalid policy, a context key it drops) throws. */
export async function simulate(input: SimulationInput): Promise<SimulationResult> {
  const context = Object.fromEntries(Object.entries(input.context ?? {}).map(([key, value]) => [aliasKey(key), value]));
  const result = await runSimulation(
    {
      request: {
        principal: input.principal,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        contextVariables: context as Record<string, string | string[]>,
      },
      identityPolicies: (input.identityPolicies ?? []).map(({ name, policy }) => ({ name, policy: aliasPolicy(policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: aliasPolicy(input.resourcePolicy) } : {}),
    },
    { simulationMode: 'Strict' },
  );
  const what = `${input.principal} ${input.action} ${input.resource}`;
  if (result.resultType === 'error') throw new Error(`cannot simulate ${what}: ${JSON.stringify(result.errors)}`);
  const analyses = result.resultType === 'single' ? [result.result] : result.results;
  const ignored = analyses.flatMap((analysis) => analysis.ignoredContextKeys ?? []);
  if (ignored.length > 0) throw new Error(`cannot simulate ${what}: the simulator drops context keys ${ignored.join(', ')}`);
  const explanation = analyses
    .map(
      ({ analysis }) =>
        `identity policies: ${analysis.identityAnalysis?.result ?? 'none'}; resource policy: ${analysis.resourceAnalysis?.result ?? 'none'}`,
    )
    .join(' | ');
  return { verdict: result.overallResult as Verdict, explanation };
}
