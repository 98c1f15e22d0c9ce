/**
 * Resolves a synthesized template's intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split, Fn::If) to the concrete strings CloudFormation would produce in one
 * fixed, fake account and region, so that policies can be evaluated against real-looking ARNs.
 *
 * Physical names come from the resource's own name property when the template sets one, and are
 * made up from the stack name and logical id otherwise (as CloudFormation generates them). Anything
 * this resolver does not know throws: a policy that cannot be resolved must fail the test, not be
 * evaluated half-resolved. (cfn-resolver-lib leaves such values in place with a console warning,
 * and knows no ARN of a role, KMS key, schedule group or event bus: hence this small table.)
 */

export interface FakeEnvironment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

export const FAKE_ENVIRONMENT: FakeEnvironment = { account: '111122223333', region: 'eu-west-1', partition: 'aws' };

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface TemplateJson {
  Resources: Record<string, TemplateResource>;
  Conditions?: Record<string, unknown>;
}

/** Per type: the property holding an explicit physical name, and what Ref and each attribute return. */
interface TypeModel {
  readonly nameProperty?: string;
  readonly ref?: (name: string, env: FakeEnvironment) => string;
  readonly attributes: Record<string, (name: string, env: FakeEnvironment) => string>;
}

const arn = (env: FakeEnvironment, service: string, resource: string, region = env.region, account = env.account) =>
  `arn:${env.partition}:${service}:${region}:${account}:${resource}`;

const TYPES: Record<string, TypeModel> = {
  'AWS::IAM::Role': { nameProperty: 'RoleName', attributes: { Arn: (name, env) => arn(env, 'iam', `role/${name}`, '') } },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    attributes: { Arn: (name, env) => arn(env, 'lambda', `function:${name}`) },
  },
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    attributes: {
      Arn: (name, env) => arn(env, 'dynamodb', `table/${name}`),
      StreamArn: (name, env) => arn(env, 'dynamodb', `table/${name}/stream/2026-01-01T00:00:00.000`),
    },
  },
  'AWS::KMS::Key': {
    // Key ids are UUIDs; this one is fixed, as the template holds one key.
    ref: () => '1234abcd-12ab-34cd-56ef-1234567890ab',
    attributes: {
      Arn: (_name, env) => arn(env, 'kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      KeyId: () => '1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    ref: (name, env) => `https://sqs.${env.region}.amazonaws.com/${env.account}/${name}`,
    attributes: {
      Arn: (name, env) => arn(env, 'sqs', name),
      QueueName: (name) => name,
      QueueUrl: (name, env) => `https://sqs.${env.region}.amazonaws.com/${env.account}/${name}`,
    },
  },
  'AWS::Scheduler::ScheduleGroup': {
    nameProperty: 'Name',
    attributes: { Arn: (name, env) => arn(env, 'scheduler', `schedule-group/${name}`) },
  },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    attributes: { Arn: (name, env) => arn(env, 'events', `event-bus/${name}`), Name: (name) => name },
  },
  'AWS::SES::ConfigurationSet': { nameProperty: 'Name', attributes: {} },
  'AWS::SES::EmailIdentity': { nameProperty: 'EmailIdentity', attributes: {} },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    attributes: { Arn: (name, env) => arn(env, 'logs', `log-group:${name}:*`) },
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    attributes: {
      Arn: (name, env) => `arn:${env.partition}:s3:::${name}`,
      DomainName: (name) => `${name}.s3.amazonaws.com`,
      RegionalDomainName: (name, env) => `${name}.s3.${env.region}.amazonaws.com`,
    },
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    ref: (name, env) => arn(env, 'sns', name),
    attributes: { TopicArn: (name, env) => arn(env, 'sns', name), TopicName: (name) => name },
  },
  'AWS::Cognito::UserPool': {
    ref: (name, env) => `${env.region}_${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`,
    attributes: {
      Arn: (name, env) => arn(env, 'cognito-idp', `userpool/${env.region}_${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`),
      ProviderURL: (name, env) => `cognito-idp.${env.region}.amazonaws.com/${env.region}_${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`,
    },
  },
  'AWS::Cognito::UserPoolClient': { attributes: {} },
  'AWS::Cognito::UserPoolDomain': { attributes: {} },
  'AWS::ApiGateway::RestApi': { attributes: { RootResourceId: (name) => `root-${name}` } },
  'AWS::ApiGateway::Resource': { attributes: {} },
  'AWS::ApiGateway::Authorizer': { attributes: {} },
  'AWS::ApiGateway::Deployment': { attributes: {} },
  'AWS::ApiGateway::UsagePlan': { attributes: {} },
  'AWS::ApiGateway::Stage': { nameProperty: 'StageName', attributes: {} },
  'AWS::CloudFront::Distribution': { attributes: { DomainName: (name) => `${name.toLowerCase()}.cloudfront.net` } },
  'AWS::CloudFront::OriginAccessControl': { attributes: {} },
  'AWS::CloudFront::ResponseHeadersPolicy': { attributes: {} },
  'AWS::CloudFront::Function': {
    attributes: { FunctionARN: (name, env) => `arn:${env.partition}:cloudfront::${env.account}:function/${name}` },
  },
  'AWS::Lambda::LayerVersion': { attributes: {} },
  'AWS::CloudWatch::Dashboard': { nameProperty: 'DashboardName', attributes: {} },
};

/** A template whose values can be asked for resolved, in `env`, for the stack `stackName`. */
export class ResolvedTemplate {
  constructor(
    readonly template: TemplateJson,
    readonly stackName: string,
    readonly env: FakeEnvironment = FAKE_ENVIRONMENT,
  ) {}

  /** The resources of `type`, by logical id. */
  resourcesOf(type: string): [string, TemplateResource][] {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  resource(logicalId: string): TemplateResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  }

  /** The physical name CloudFormation would give `logicalId`: its name property, or one made up like CloudFormation's. */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const model = TYPES[resource.Type];
    const explicit = model?.nameProperty === undefined ? undefined : resource.Properties?.[model.nameProperty];
    return explicit === undefined ? `${this.stackName}-${logicalId}` : this.string(explicit);
  }

  ref(name: string): string {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': this.env.account,
      'AWS::Region': this.env.region,
      'AWS::Partition': this.env.partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
    };
    if (pseudo[name] !== undefined) return pseudo[name];
    const resource = this.resource(name);
    const model = TYPES[resource.Type];
    if (!model) throw new Error(`Ref of ${resource.Type} (${name}) is not modelled`);
    const physical = this.physicalName(name);
    return model.ref ? model.ref(physical, this.env) : physical;
  }

  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    const produce = TYPES[resource.Type]?.attributes[attribute];
    if (!produce) throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not modelled`);
    return produce(this.physicalName(logicalId), this.env);
  }

  /** `value` with every intrinsic function resolved (objects and arrays deeply; `AWS::NoValue` dropped). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [[fn, argument] = []] = entries;
    if (entries.length === 1 && fn !== undefined && (fn === 'Ref' || fn.startsWith('Fn::'))) return this.intrinsic(fn, argument);
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)] as const).filter(([, item]) => item !== NO_VALUE));
  }

  /** A value that must resolve to a string. */
  string(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`${JSON.stringify(value)} does not resolve to a string`);
    return resolved;
  }

  private intrinsic(fn: string, argument: unknown): unknown {
    switch (fn) {
      case 'Ref':
        return argument === 'AWS::NoValue' ? NO_VALUE : this.ref(argument as string);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof argument === 'string' ? argument.split('.') : (argument as [string, string]);
        return this.getAtt(logicalId!, attribute!);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return parts.map((part) => this.string(part)).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
          if (name in variables) return this.string(variables[name]);
          const [logicalId, attribute] = name.split('.');
          return attribute === undefined ? this.ref(logicalId!) : this.getAtt(logicalId!, attribute);
        });
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number | string, unknown];
        const items = this.resolve(list);
        if (!Array.isArray(items)) throw new Error(`Fn::Select over ${JSON.stringify(list)}, not a list`);
        return items[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return this.string(text).split(separator);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
      }
      default:
        throw new Error(`${fn} is not modelled`);
    }
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`no condition ${name} in the template`);
    return this.evaluate(definition);
  }

  private evaluate(expression: unknown): boolean {
    const [[fn, argument] = []] = Object.entries(expression as Record<string, unknown>);
    const items = argument as unknown[];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.resolve(items[0])) === JSON.stringify(this.resolve(items[1]));
      case 'Fn::Not':
        return !this.evaluate(items[0]);
      case 'Fn::And':
        return items.every((item) => this.evaluate(item));
      case 'Fn::Or':
        return items.some((item) => this.evaluate(item));
      case 'Condition':
        return this.condition(argument as string);
      default:
        throw new Error(`condition function ${fn} is not modelled`);
    }
  }
}

/** `Ref: AWS::NoValue`: the property or list item is left out. */
const NO_VALUE = Symbol('AWS::NoValue');
