import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { type PlansConfig, plansConfigSchema } from '../lambdas/domain/plans';
import { ConfigError, type ContextKey, type KeywardConfig, parseConfig } from './config';
import { STAGE_PATTERN, stageProps } from './stage';

/** Where the stage files live: `config/stages/<stage>.json`, one per deployed stage. */
export const STAGE_DIR = join(__dirname, '..', 'config', 'stages');

/** A dev stage without a file of its own (`devalice`) uses this one: throwaway stages share dev's settings. */
export const DEV_STAGE_FILE = 'dev';

const text = z.string().trim().min(1);
/** `null` records a decision ("none, on purpose"); a missing field is the default. */
const optionalText = text.nullable().optional();
const whole = z.number().int().min(0);

/**
 * The settings of one stage, checked before anything else reads them. One zod object in one
 * module, so a new kind of setting is one more field here.
 *
 * Every field but `description` and `plans` has the name of the CDK context parameter it replaces
 * (`lib/config.ts` checks the values themselves: patterns, ranges, combinations); `-c` may add a
 * parameter the file does not set, never contradict one it does (`stageConfig`).
 */
export const stageFileSchema = z.strictObject({
  /** What the stage is for, for whoever reads the file. */
  description: z.string().optional(),
  /** Token prefix (API.md §2). Required: every key the stage issued carries it. */
  keyPrefix: text,
  resourceCatalog: z.array(text).optional(),
  sesSender: optionalText,
  sesMailFromDomain: optionalText,
  sesIdentityExists: z.boolean().optional(),
  adminInvitesFromSender: z.boolean().optional(),
  adminIssuer: optionalText,
  adminAudience: optionalText,
  adminJwksUrl: optionalText,
  adminEmailClaim: optionalText,
  adminEmailVerifiedClaim: optionalText,
  cognitoDomainPrefix: optionalText,
  operatorPrincipalArn: optionalText,
  alarmEmail: optionalText,
  consoleUrls: z.array(text).optional(),
  authorizerCacheTtlSeconds: whole.optional(),
  authorizerKeyCacheMs: whole.optional(),
  authorizerReservedConcurrency: whole.optional(),
  apiKeyHeaderOnly: z.boolean().optional(),
  consumerApiRateLimit: z.number().positive().optional(),
  consumerApiBurstLimit: z.number().int().positive().optional(),
  managementApiRateLimit: z.number().positive().optional(),
  managementApiBurstLimit: z.number().int().positive().optional(),
  tableName: optionalText,
  manageApiGatewayAccount: z.boolean().optional(),
  exampleApi: z.boolean().optional(),
  consumerApiTracing: z.boolean().optional(),
  /** The consumer API's access log line: `lean` (default) or `full` (lib/config.ts). */
  accessLogFormat: z.enum(['lean', 'full']).optional(),
  /** Where GitHub's secret-scanning public keys are fetched (`lib/config.ts` requires https). */
  secretScanningKeysUrl: text.optional(),
  /**
   * The stage's plans (API.md §9), checked as the functions check `KEYWARD_PLANS`: a default plan
   * and each plan's `rate`, `burst` and optional `quota`. Only in the file (no context parameter).
   */
  plans: plansConfigSchema.optional(),
});
export type StageFile = z.infer<typeof stageFileSchema>;

/**
 * What a production stage must decide rather than default: without a sender the notifier is off,
 * without an operator the CLI cannot create keys, without an address nobody hears an alarm. Set
 * each, or `null` to say "none, on purpose". Dev stages may leave them out.
 */
export const DECIDED_OUTSIDE_DEV = ['sesSender', 'operatorPrincipalArn', 'alarmEmail'] as const satisfies readonly (keyof StageFile)[];

export class StageFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageFileError';
  }
}

/** A stage file's or a context's value in the one comparable form: `-c` gives strings, the file JSON values. */
function comparable(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => String(item).trim()).join(',');
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === ''
      ? undefined
      : trimmed
          .split(',')
          .map((item) => item.trim())
          .join(',');
  }
  return String(value);
}

/** Reads and checks `<dir>/<name>.json`; every problem names the file and the field. */
export function readStageFile(path: string): StageFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new StageFileError(`${path}: not readable JSON (${(error as Error).message})`);
  }
  const parsed = stageFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new StageFileError(`${path} is not a valid stage file:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The file a stage reads: its own, or dev's for a dev stage without one; undefined when there is none. */
export function stageFilePath(stage: string, dir = STAGE_DIR): string | undefined {
  const own = join(dir, `${stage}.json`);
  if (existsSync(own)) return own;
  const dev = join(dir, `${DEV_STAGE_FILE}.json`);
  return stageProps(stage).isDevStage && existsSync(dev) ? dev : undefined;
}

/** Why a context value may not override the file's: the prefix gets its own explanation. */
function contradiction(key: ContextKey, given: string, recorded: string, file: string): string {
  const head = `-c ${key}=${given} contradicts ${file}, which records ${key} = ${recorded}.`;
  if (key === 'keyPrefix') {
    return `${head} Every key this stage issued starts with "${recorded}_"; the functions would reject all of them (401 on every live key). A new prefix is a migration: reissue the keys first, then change the file.`;
  }
  return `${head} The file is the stage's record: change it there (and commit it), or drop the -c flag.`;
}

/**
 * The configuration of a stage: its file (`config/stages/<stage>.json`) under the CDK context.
 * `get` is `(key) => app.node.tryGetContext(key)`. A context value the file also sets must say the
 * same (or synth stops, explaining); a value the file leaves out is taken from the context. A stage
 * without a file is refused, except a dev stage, which uses dev's.
 */
export function stageConfig(
  get: (key: ContextKey) => unknown,
  dir = STAGE_DIR,
): KeywardConfig & { readonly stageFile: string; readonly plans?: PlansConfig } {
  const stage = comparable(get('stage')) ?? 'dev';
  if (!STAGE_PATTERN.test(stage)) throw new StageFileError(`invalid context "stage": "${stage}" must be 1-10 lower-case letters or digits`);
  const path = stageFilePath(stage, dir);
  if (path === undefined) {
    throw new StageFileError(
      `stage "${stage}" has no ${relative(process.cwd(), join(dir, `${stage}.json`))}: create it (copy config/stages/prod.json and edit it; docs/deploying.md lists every field) so the stage's settings are recorded in the repository, not on a command line`,
    );
  }
  const file = readStageFile(path);
  const shown = relative(process.cwd(), path) || path;
  if (!stageProps(stage).isDevStage) {
    const undecided = DECIDED_OUTSIDE_DEV.filter((key) => file[key] === undefined);
    if (undecided.length > 0) {
      throw new StageFileError(
        `${shown} leaves ${undecided.join(', ')} unset: a ${stage} stage must decide each (a value, or null for none on purpose)`,
      );
    }
  }
  const recorded = file as Partial<Record<ContextKey, unknown>>;
  for (const key of Object.keys(file) as (keyof StageFile)[]) {
    if (key === 'description' || key === 'plans') continue;
    const given = comparable(get(key as ContextKey));
    const fromFile = comparable(recorded[key as ContextKey]);
    // `null` in the file is a recorded "none": a -c value for it contradicts the file too.
    const fileSays = fromFile ?? (file[key] === null ? '(none)' : undefined);
    if (given !== undefined && fileSays !== undefined && given !== fileSays) {
      throw new StageFileError(contradiction(key as ContextKey, given, fileSays, shown));
    }
  }
  try {
    const config = parseConfig((key) => {
      if (key === 'stage') return stage;
      const fromFile = recorded[key];
      return fromFile === undefined || fromFile === null ? get(key) : comparable(fromFile);
    });
    return { ...config, stageFile: shown, ...(file.plans ? { plans: file.plans } : {}) };
  } catch (error) {
    if (error instanceof ConfigError) throw new StageFileError(`${shown} with the -c flags: ${error.message}`);
    throw error;
  }
}
