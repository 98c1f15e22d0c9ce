import { readFileSync } from 'node:fs';
import { DEFAULT_PLANS, type PlansConfig, parsePlans, plansConfigSchema } from '../lambdas/domain/plans';

/**
 * The plans of a deployment (API.md §9): in AWS the stage file's `plans` field
 * (`config/stages/<stage>.json`, checked by lib/stage-file.ts) or a `plans` value given to the
 * constructs, locally the file `KEYWARD_PLANS_FILE` names; otherwise DEFAULT_PLANS.
 */

export { DEFAULT_PLANS, type PlansConfig, parsePlans, plansConfigSchema };

/** Plans from a CDK context value (a JSON string or an object), or DEFAULT_PLANS when absent. */
export function plansFromContext(value: unknown): PlansConfig {
  if (value === undefined || value === null) return DEFAULT_PLANS;
  return parsePlans(typeof value === 'string' ? value : JSON.stringify(value), 'the plans context');
}

/** Plans for `npm start`: the file `KEYWARD_PLANS_FILE` names (API.md §9), or DEFAULT_PLANS. */
export function localPlans(env: NodeJS.ProcessEnv = process.env): PlansConfig {
  const file = env.KEYWARD_PLANS_FILE?.trim();
  if (!file) return DEFAULT_PLANS;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`KEYWARD_PLANS_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  return parsePlans(text, file);
}
