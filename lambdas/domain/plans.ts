import { z } from 'zod';

/**
 * Plans (API.md §9): each with `rate` (requests per second), `burst`, and an optional `quota` per
 * UTC day, ISO week (from Monday) or calendar month; one is the default. Every organization is on
 * exactly one plan (its organization item's `plan`; absent: the default), and all its keys share
 * its limits. The schema is the plans section of a stage configuration, as JSON.
 */

export const PLAN_NAME_PATTERN = /^[a-z0-9-]{1,32}$/;
export const QUOTA_PERIODS = ['day', 'week', 'month'] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

const planNameSchema = z.string().regex(PLAN_NAME_PATTERN, 'plan names are 1-32 of a-z0-9-');

export const planSchema = z.strictObject({
  rate: z.number({ error: 'must be a number of requests per second' }).positive('must be more than 0'),
  burst: z.int({ error: 'must be a whole number of requests' }).min(1, 'must be at least 1'),
  quota: z
    .strictObject({
      limit: z.int({ error: 'must be a whole number of requests' }).min(1, 'must be at least 1'),
      period: z.enum(QUOTA_PERIODS, { error: `must be one of ${QUOTA_PERIODS.join(', ')}` }),
    })
    .nullable()
    .default(null),
});
export type Plan = z.infer<typeof planSchema>;

export const plansConfigSchema = z
  .strictObject({
    default_plan: planNameSchema,
    plans: z.record(planNameSchema, planSchema).refine((plans) => Object.keys(plans).length > 0, 'must name at least one plan'),
  })
  .refine((config) => Object.hasOwn(config.plans, config.default_plan), {
    message: 'must name one of the plans',
    path: ['default_plan'],
  });
export type PlansConfig = z.infer<typeof plansConfigSchema>;

/**
 * The plans of a deployment that names none: one plan, `standard`, generous enough for the local
 * runtime and the tests (100 requests per second, bursts of 200, no quota).
 */
export const DEFAULT_PLANS: PlansConfig = {
  default_plan: 'standard',
  plans: { standard: { rate: 100, burst: 200, quota: null } },
};

/** A plans configuration from JSON text, or an Error saying what is wrong with it. */
export function parsePlans(json: string, source: string): PlansConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`invalid plans in ${source}: not JSON (${(error as Error).message})`);
  }
  const parsed = plansConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`invalid plans in ${source}: ${problems}`);
  }
  return parsed.data;
}

/** The name of the plan an organization is on: its own when the deployment still has it, else the default. */
export function effectivePlanName(config: PlansConfig, stored: unknown): string {
  return typeof stored === 'string' && Object.hasOwn(config.plans, stored) ? stored : config.default_plan;
}

/** The start of the quota window `at` falls in (UTC day; ISO week from Monday; calendar month). */
export function quotaWindowStart(period: QuotaPeriod, at: Date): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  if (period === 'day') return new Date(day);
  if (period === 'month') return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const sinceMonday = (at.getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * 24 * 60 * 60 * 1000);
}

/** The plan as admins read it in `GET …/settings` (API.md §9). */
export interface PlanView {
  plan: string;
  limits: { rate: number; burst: number; quota: { limit: number; period: QuotaPeriod } | null };
  quota_used: number | null;
}
