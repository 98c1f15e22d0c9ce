import { describeStage } from './stage-suite';

/**
 * Prod with the stage file's plans (API.md §9): the settings functions also read GetUsage on the
 * usage plans (quota_used), and the authorizer names the fallback usage identifier; every grant
 * is still used and nothing else is allowed.
 */
describeStage('prod', {
  default_plan: 'free',
  plans: {
    free: { rate: 10, burst: 20, quota: { limit: 100, period: 'day' } },
    pro: { rate: 100, burst: 200, quota: { limit: 100000, period: 'month' } },
  },
});
