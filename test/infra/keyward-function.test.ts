import { Match, type Template } from 'aws-cdk-lib/assertions';
import { fnName, KEYWARD_ENTRIES, PROD_CONTEXT, synthKeyward } from './synth';
import { environmentOf, resourcesOf } from './template-helpers';

/** Every function of the stack, as KeywardFunction (lib/constructs/keyward-function.ts) builds it, and what the stack tells each. */

let dev: Template;
let prod: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward(PROD_CONTEXT).template;
});

describe('the functions', () => {
  it('are one per operation, named after the stage', () => {
    const names = Object.values(resourcesOf(dev, 'AWS::Lambda::Function')).map((fn) => fn.Properties!.FunctionName);
    expect(names.sort()).toEqual(KEYWARD_ENTRIES.map((entry) => fnName(entry)).sort());
  });

  it.each(KEYWARD_ENTRIES)('%s runs nodejs22.x or newer on arm64 with tracing, Powertools and its own log group (JSON)', (entry) => {
    dev.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: fnName(entry),
      Runtime: Match.stringLikeRegexp('^nodejs(2[2-9]|[3-9][0-9])\\.x$'),
      Architectures: ['arm64'],
      // The consumer path follows the stage's sampling (off by default: test/infra/cost-defaults.test.ts).
      TracingConfig: { Mode: ['api-key-authorizer', 'example-echo'].includes(entry) ? 'PassThrough' : 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue(), LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'keyward',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      },
    });
    dev.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${fnName(entry)}`, RetentionInDays: 30 });
  });

  it.each(KEYWARD_ENTRIES)('%s maps stacks to the sources unless it is the api-key authorizer (measured not worth it there)', (entry) => {
    expect(environmentOf(dev, fnName(entry)).NODE_OPTIONS).toBe(entry === 'api-key-authorizer' ? undefined : '--enable-source-maps');
  });

  it('pass the key prefix and resource catalog from the context', () => {
    expect(environmentOf(prod, fnName('create-api-key', 'prod'))).toMatchObject({
      KEY_PREFIX: 'acme',
      RESOURCE_CATALOG: 'customer,invoice',
    });
    expect(environmentOf(prod, fnName('api-key-authorizer', 'prod'))).toMatchObject({ KEY_PREFIX: 'acme' });
  });

  it('give AUTHORIZER_KEY_CACHE_MS to the api-key authorizer only, and only when the context sets it', () => {
    const withCache = (template: Template, stage: string) =>
      KEYWARD_ENTRIES.filter((entry) => 'AUTHORIZER_KEY_CACHE_MS' in environmentOf(template, fnName(entry, stage)));
    expect(withCache(prod, 'prod')).toEqual(['api-key-authorizer']);
    expect(environmentOf(prod, fnName('api-key-authorizer', 'prod'))).toMatchObject({ AUTHORIZER_KEY_CACHE_MS: '1000' });
    expect(withCache(dev, 'dev')).toEqual([]);
  });

  it('give KMS_KEY_ID to create, rotate (by an admin or a leak report) and reveal only', () => {
    const withKey = KEYWARD_ENTRIES.filter((entry) => 'KMS_KEY_ID' in environmentOf(dev, fnName(entry))).sort();
    expect(withKey).toEqual(['create-api-key', 'report-secret-scanning', 'reveal-api-key', 'rotate-api-key']);
  });
});
