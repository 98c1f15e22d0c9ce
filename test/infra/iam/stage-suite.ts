import type { PlansConfig } from '../../../lambdas/domain/plans';
import { gatewayInvokeCalls, type SdkStubs, stubSdkClients } from './aws-calls';
import { allowedCalls, deriveStageCalls, mustDenyCalls, refusedCalls, type StageCalls, trustCalls, unusedGrants } from './checks';
import { deploymentOf, type StageName, synthStageTemplate } from './stages';

/**
 * The checks on one stage's template (one stage per test file: entry files read their
 * environment when loaded, and each stage has its own).
 */
export function describeStage(stage: StageName, plans?: PlansConfig): void {
  let stubs: SdkStubs;
  let calls: StageCalls;

  beforeAll(async () => {
    stubs = stubSdkClients();
    const { stackName, template } = synthStageTemplate(stage, plans);
    calls = await deriveStageCalls(deploymentOf(stackName, template), stubs);
  }, 120_000);
  afterAll(() => {
    for (const stub of Object.values(stubs)) stub.restore();
  });

  describe(`the ${stage} template${plans ? ' with plans' : ''}, evaluated with AWS's policy logic`, () => {
    it("allows every call each function's code makes, on the real resources, with the context AWS sends", async () => {
      const refused: Record<string, string[]> = {};
      for (const [name, { calls: own }] of calls.functions) {
        const denied = await refusedCalls(calls.deployment, own);
        if (denied.length > 0) refused[name] = denied;
      }
      expect(refused).toEqual({});
      expect(calls.functions.size).toBeGreaterThan(15);
    });

    it('lets Scheduler assume its role for the schedule group it presents, invoke the target and use the dead-letter queue', async () => {
      expect(calls.scheduleRuns.map((call) => call.action).sort()).toEqual(
        expect.arrayContaining(['lambda:InvokeFunction', 'sqs:SendMessage', 'sts:AssumeRole']),
      );
      expect(await refusedCalls(calls.deployment, calls.scheduleRuns)).toEqual([]);
    });

    it('lets each service assume the roles that trust it, with the source it presents', async () => {
      expect(await refusedCalls(calls.deployment, trustCalls(calls))).toEqual([]);
    });

    it("lets API Gateway invoke each method's function and each authorizer, presenting their execute-api ARNs", async () => {
      const invocations = gatewayInvokeCalls(calls.deployment);
      expect(invocations.length).toBeGreaterThan(15);
      expect(await refusedCalls(calls.deployment, invocations)).toEqual([]);
    });

    it('grants no function an action its code does not call', () => {
      const unused = Object.fromEntries(
        [...calls.functions]
          .map(([name, { fn, calls: own }]) => [name, unusedGrants(calls.deployment, fn, own)] as const)
          .filter(([, actions]) => actions.length > 0),
      );
      expect(unused).toEqual({});
    });

    it('refuses what must stay refused: other attributes, the other KMS direction, the key to its own account, other tables, groups, senders', async () => {
      const cases = mustDenyCalls(calls);
      expect(cases.length).toBeGreaterThan(30);
      expect(await allowedCalls(calls.deployment, cases)).toEqual([]);
    });
  });
}
