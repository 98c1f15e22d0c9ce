import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTEXT_KEYS, type ContextKey } from '../../../lib/config';
import { readStageFile, STAGE_DIR, StageFileError, stageConfig, stageFileSchema } from '../../../lib/stage-file';

/** A directory of stage files for one test. */
function stageDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-stages-'));
  for (const [stage, content] of Object.entries(files)) writeFileSync(join(dir, `${stage}.json`), JSON.stringify(content));
  return dir;
}

const PROD = {
  keyPrefix: 'acme',
  sesSender: 'example.com',
  operatorPrincipalArn: 'arn:aws:iam::111122223333:role/keyward-operator',
  alarmEmail: 'oncall@example.com',
  consoleUrls: ['https://keys.example.com/console/'],
  consumerApiRateLimit: 500,
  authorizerCacheTtlSeconds: 0,
};

describe('stage files (config/stages/<stage>.json)', () => {
  const dirs: string[] = [];
  const dir = (files: Record<string, unknown>) => {
    const made = stageDir(files);
    dirs.push(made);
    return made;
  };
  afterAll(() => {
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
  });
  const context =
    (values: Partial<Record<ContextKey, unknown>>) =>
    (key: ContextKey): unknown =>
      values[key];

  it('needs nothing but the stage on the command line: the file gives the rest', () => {
    const config = stageConfig(context({ stage: 'prod' }), dir({ prod: PROD }));

    expect(config).toMatchObject({
      stage: 'prod',
      isDevStage: false,
      keyPrefix: 'acme',
      sesSender: { kind: 'domain', identity: 'example.com', fromAddress: 'no-reply@example.com' },
      operatorPrincipalArn: PROD.operatorPrincipalArn,
      alarmEmail: 'oncall@example.com',
      consoleUrls: ['https://keys.example.com/console/'],
      consumerApiThrottle: { rateLimit: 500, burstLimit: 2000 },
      manageApiGatewayAccount: false,
    });
  });

  it('takes a -c value the file leaves out, and one that says what the file says', () => {
    const config = stageConfig(
      context({ stage: 'prod', tableName: 'keyward-prod', keyPrefix: 'acme', consumerApiRateLimit: '500', authorizerCacheTtlSeconds: 0 }),
      dir({ prod: PROD }),
    );

    expect(config.tableName).toBe('keyward-prod');
    expect(config.keyPrefix).toBe('acme');
  });

  it('stops at a -c keyPrefix other than the recorded one, explaining that every live key would be refused', () => {
    expect(() => stageConfig(context({ stage: 'prod', keyPrefix: 'kw' }), dir({ prod: PROD }))).toThrow(
      /-c keyPrefix=kw contradicts .*prod\.json, which records keyPrefix = acme\. Every key this stage issued starts with "acme_".*401 on every live key/,
    );
  });

  it.each([
    ['sesSender', 'keys@example.com'],
    ['consumerApiRateLimit', '1000'],
    ['consoleUrls', 'https://other.example.com/console/'],
    ['alarmEmail', 'me@example.com'],
  ] as const)('stops at a -c %s that contradicts the file', (key, value) => {
    expect(() => stageConfig(context({ stage: 'prod', [key]: value }), dir({ prod: PROD }))).toThrow(
      new RegExp(`-c ${key}=.* contradicts .*prod\\.json.*change it there`),
    );
  });

  it('takes null in the file as a recorded "none", which a -c value contradicts too', () => {
    const files = dir({ prod: { ...PROD, sesSender: null } });

    expect(stageConfig(context({ stage: 'prod' }), files).sesSender).toBeUndefined();
    expect(() => stageConfig(context({ stage: 'prod', sesSender: 'keys@example.com' }), files)).toThrow(/records sesSender = \(none\)/);
  });

  it('refuses a production file that leaves the sender, the operator or the alarm address undecided', () => {
    const { sesSender: _s, operatorPrincipalArn: _o, ...undecided } = PROD;

    expect(() => stageConfig(context({ stage: 'prod' }), dir({ prod: undecided }))).toThrow(
      /leaves sesSender, operatorPrincipalArn unset: a prod stage must decide each/,
    );
  });

  it('refuses a stage without a file, but lets a dev stage use dev.json', () => {
    const files = dir({ dev: { keyPrefix: 'kw' } });

    expect(() => stageConfig(context({ stage: 'staging' }), files)).toThrow(/stage "staging" has no .*staging\.json: create it/);
    expect(stageConfig(context({ stage: 'devalice' }), files)).toMatchObject({ stage: 'devalice', keyPrefix: 'kw' });
  });

  it.each([
    ['an unknown field (a typo)', { ...PROD, keyPrefx: 'acme' }, /keyPrefx|Unrecognized key/],
    ['no keyPrefix', { ...PROD, keyPrefix: undefined }, /keyPrefix/],
    ['a string where a number belongs', { ...PROD, consumerApiRateLimit: '500' }, /consumerApiRateLimit/],
    ['a fractional burst', { ...PROD, consumerApiBurstLimit: 1.5 }, /consumerApiBurstLimit/],
    [
      'plans whose default is none of them',
      { ...PROD, plans: { default_plan: 'gold', plans: { free: { rate: 1, burst: 1 } } } },
      /plans\.default_plan/,
    ],
    [
      'a plan with a zero rate',
      { ...PROD, plans: { default_plan: 'free', plans: { free: { rate: 0, burst: 1 } } } },
      /plans\.plans\.free\.rate/,
    ],
    [
      'a plan with an unknown quota period',
      { ...PROD, plans: { default_plan: 'free', plans: { free: { rate: 1, burst: 1, quota: { limit: 5, period: 'year' } } } } },
      /period/,
    ],
  ])('refuses a file with %s, naming the file and the field', (_name, content, message) => {
    const files = dir({ prod: content });

    expect(() => stageConfig(context({ stage: 'prod' }), files)).toThrow(StageFileError);
    expect(() => stageConfig(context({ stage: 'prod' }), files)).toThrow(message);
    expect(() => stageConfig(context({ stage: 'prod' }), files)).toThrow(/prod\.json is not a valid stage file/);
  });

  it('hands the values to the context checks (lib/config.ts), so a bad prefix in the file fails as it would with -c', () => {
    expect(() => stageConfig(context({ stage: 'prod' }), dir({ prod: { ...PROD, keyPrefix: 'Not-A-Prefix' } }))).toThrow(
      /keyPrefix.*must be 1-16 of a-z0-9/,
    );
  });

  it("gives the file's plans (API.md §9), checked, and none when it names none", () => {
    const plans = {
      default_plan: 'free',
      plans: { free: { rate: 10, burst: 20, quota: { limit: 10000, period: 'month' } }, pro: { rate: 100, burst: 200 } },
    };
    expect(stageConfig(context({ stage: 'prod' }), dir({ prod: { ...PROD, plans } })).plans).toEqual({
      default_plan: 'free',
      plans: { free: plans.plans.free, pro: { rate: 100, burst: 200, quota: null } },
    });
    expect(stageConfig(context({ stage: 'prod' }), dir({ prod: PROD })).plans).toBeUndefined();
  });

  it('names every field after the context parameter it stands for (so every -c keeps working), but plans, which only a file holds', () => {
    const fields = Object.keys(stageFileSchema.shape).filter((field) => field !== 'description' && field !== 'plans');

    expect(fields.filter((field) => !(CONTEXT_KEYS as readonly string[]).includes(field))).toEqual([]);
  });

  it('has a field for every context parameter but the stage itself (a stage records all of its settings)', () => {
    const fields = new Set(Object.keys(stageFileSchema.shape));

    expect(CONTEXT_KEYS.filter((key) => key !== 'stage' && !fields.has(key))).toEqual([]);
  });

  it("records the secret-scanning key document, checked as -c's is (https only)", () => {
    const url = 'https://signer.example.com/public_keys';

    expect(stageConfig(context({ stage: 'prod' }), dir({ prod: { ...PROD, secretScanningKeysUrl: url } })).secretScanningKeysUrl).toBe(url);
    expect(stageConfig(context({ stage: 'prod' }), dir({ prod: PROD })).secretScanningKeysUrl).toBe(
      'https://api.github.com/meta/public_keys/secret_scanning',
    );
    expect(() =>
      stageConfig(context({ stage: 'prod' }), dir({ prod: { ...PROD, secretScanningKeysUrl: 'http://signer.example.com/keys' } })),
    ).toThrow(/secretScanningKeysUrl.*https/);
  });

  it.each(readdirSync(STAGE_DIR).filter((name) => name.endsWith('.json')))('checks the repository file %s', (name) => {
    const stage = name.replace(/\.json$/, '');

    expect(() => readStageFile(join(STAGE_DIR, name))).not.toThrow();
    expect(stageConfig(context({ stage })).stage).toBe(stage);
  });
});
