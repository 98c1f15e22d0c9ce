import type { Template } from 'aws-cdk-lib/assertions';
import { synthKeyward } from './synth';
import { resourcesOf } from './template-helpers';

/**
 * The defaults the bench's cost table (docs/operating.md, "Cost per million authorized requests")
 * is priced on: every function logs JSON with Lambda's START/END/REPORT lines at WARN (none on a
 * normal invocation), no stage has API Gateway's per-method metrics, and nothing on the consumer
 * path is traced unless `consumerApiTracing` says so.
 */
let dev: Template;
let prod: Template;
let traced: Template;

beforeAll(() => {
  dev = synthKeyward().template;
  prod = synthKeyward({ stage: 'prod', sesSender: 'keys@example.com', alarmEmail: 'oncall@example.com' }).template;
  traced = synthKeyward({ consumerApiTracing: 'true' }).template;
});

type Props = Record<string, unknown>;
const keywardFunctions = (template: Template) =>
  Object.values(resourcesOf(template, 'AWS::Lambda::Function'))
    .map((fn) => fn.Properties as Props)
    .filter((props) => typeof props.FunctionName === 'string' && (props.FunctionName as string).startsWith('keyward-'));
const functionNamed = (template: Template, suffix: string) =>
  keywardFunctions(template).find((props) => (props.FunctionName as string).endsWith(`-${suffix}`))!;
const stages = (template: Template) =>
  Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).map((stage) => stage.Properties as Props);
const stageOf = (template: Template, api: 'example' | 'management') =>
  stages(template).find((stage) => JSON.stringify(stage.RestApiId).includes(api === 'example' ? 'ExampleApi' : 'ManagementApi'))!;

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
])('cost defaults (%s)', (_stage, template) => {
  it('every function logs JSON, its own lines from INFO, Lambda’s platform lines from WARN only', () => {
    const functions = keywardFunctions(template());
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) {
      expect({ name: fn.FunctionName, logging: fn.LoggingConfig }).toEqual({
        name: fn.FunctionName,
        logging: expect.objectContaining({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' }),
      });
    }
  });

  it('no stage has per-method metrics (the free per-stage totals remain); execution logs stay at ERROR', () => {
    const all = stages(template());
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) {
      const settings = (stage.MethodSettings as Props[] | undefined) ?? [];
      for (const setting of settings) expect(setting.MetricsEnabled).not.toBe(true);
      expect(settings.map((setting) => setting.LoggingLevel)).toContain('ERROR');
    }
  });

  it('traces nothing on the consumer path by default: stage tracing off, authorizer and echo only pass a trace through', () => {
    expect(stageOf(template(), 'example').TracingEnabled).toBe(false);
    expect(functionNamed(template(), 'api-key-authorizer').TracingConfig).toEqual({ Mode: 'PassThrough' });
    expect(functionNamed(template(), 'example-echo').TracingConfig).toEqual({ Mode: 'PassThrough' });
  });

  it('keeps tracing where traffic is low: the management API and its functions', () => {
    expect(stageOf(template(), 'management').TracingEnabled).toBe(true);
    expect(functionNamed(template(), 'rotate-api-key').TracingConfig).toEqual({ Mode: 'Active' });
  });
});

it('consumerApiTracing=true turns the consumer stage’s X-Ray sampling on (the authorizer records what it sampled)', () => {
  expect(stageOf(traced, 'example').TracingEnabled).toBe(true);
  expect(functionNamed(traced, 'api-key-authorizer').TracingConfig).toEqual({ Mode: 'PassThrough' });
});
