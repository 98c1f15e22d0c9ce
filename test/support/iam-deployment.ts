import type { ResolvedTemplate, TemplateResource } from './cloudformation';
import { type PolicyDocument, type SimulationResult, simulate } from './iam-simulator';

/** One request to AWS: who sends it, the IAM action, the resource ARN and the context AWS evaluates it with. */
export interface AwsCall {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** Identity policies of a principal that is not in the template (a stranger role of the account). */
  readonly identityPolicies?: readonly { name: string; policy: PolicyDocument }[];
}

/** A Lambda function of the template, as its code runs: its role's session, its resolved environment. */
export interface DeployedFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly roleLogicalId: string;
  readonly roleArn: string;
  /** The principal its code calls AWS as: `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
  readonly session: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logGroupName: string;
  readonly tracing: boolean;
  /** Its event-source mappings: the stream Lambda reads with the function's role, and where failed batches go. */
  readonly eventSources: readonly { streamArn: string; enabled: boolean; onFailure?: string }[];
  /** Where Lambda sends, with the function's role, an asynchronous invocation that failed all its attempts. */
  readonly asyncOnFailure?: string;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * A synthesized stage as IAM sees it: the roles with their identity policies, the resource
 * policies (KMS key policy, queue, bucket and topic policies, Lambda permissions, role trust
 * policies) by the ARN they guard, and the functions. `simulate` evaluates a call against all of it.
 */
export class Deployment {
  constructor(readonly template: ResolvedTemplate) {}

  get account(): string {
    return this.template.env.account;
  }

  get region(): string {
    return this.template.env.region;
  }

  functions(): DeployedFunction[] {
    return this.template.resourcesOf('AWS::Lambda::Function').map(([logicalId, resource]) => {
      const props = resource.Properties ?? {};
      const name = this.template.string({ Ref: logicalId });
      const roleLogicalId = roleIdOf(props.Role);
      const roleArn = this.template.string(props.Role);
      const logGroup = (props.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
      return {
        logicalId,
        name,
        roleLogicalId,
        roleArn,
        session: this.sessionOf(roleLogicalId, name),
        environment: this.template.resolve((props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) as Record<
          string,
          string
        >,
        logGroupName: logGroup === undefined ? `/aws/lambda/${name}` : this.template.string(logGroup),
        // Active samples by itself; PassThrough sends the segments of what an upstream service sampled: both write traces.
        tracing: ['Active', 'PassThrough'].includes((props.TracingConfig as { Mode?: string } | undefined)?.Mode ?? ''),
        eventSources: this.template
          .resourcesOf('AWS::Lambda::EventSourceMapping')
          .filter(([, mapping]) => this.template.string(mapping.Properties!.FunctionName) === name)
          .map(([, mapping]) => {
            const p = mapping.Properties!;
            const onFailure = (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
            return {
              streamArn: this.template.string(p.EventSourceArn),
              enabled: p.Enabled !== false,
              ...(onFailure === undefined ? {} : { onFailure: this.template.string(onFailure) }),
            };
          }),
        ...this.asyncOnFailureOf(name),
      };
    });
  }

  /** The on-failure destination of the function's asynchronous invocations (its `EventInvokeConfig`), if any. */
  private asyncOnFailureOf(name: string): { asyncOnFailure?: string } {
    const config = this.template
      .resourcesOf('AWS::Lambda::EventInvokeConfig')
      .find(([, resource]) => this.template.string(resource.Properties!.FunctionName) === name)?.[1];
    const destination = (config?.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
      ?.Destination;
    return destination === undefined ? {} : { asyncOnFailure: this.template.string(destination) };
  }

  /** The function named `name`. */
  function(name: string): DeployedFunction {
    const fn = this.functions().find((candidate) => candidate.name === name);
    if (!fn) throw new Error(`no function ${name} in the template`);
    return fn;
  }

  /** A session of a template role, as a service that assumed it calls AWS. */
  sessionOf(roleLogicalId: string, sessionName: string): string {
    return `arn:${this.template.env.partition}:sts::${this.account}:assumed-role/${this.template.physicalName(roleLogicalId)}/${sessionName}`;
  }

  /** The template role whose ARN, or a session of which, `principal` is. */
  private roleOfPrincipal(principal: string): string | undefined {
    return this.template.resourcesOf('AWS::IAM::Role').find(([logicalId]) => {
      const roleName = this.template.physicalName(logicalId);
      return principal === this.template.getAtt(logicalId, 'Arn') || principal.includes(`:assumed-role/${roleName}/`);
    })?.[0];
  }

  /** The role's inline policies and the policies attached to it (AWS managed policies are not modelled: a role with one throws). */
  identityPolicies(roleLogicalId: string): { name: string; policy: PolicyDocument }[] {
    const role = this.template.resource(roleLogicalId).Properties ?? {};
    if (asArray(role.ManagedPolicyArns).length > 0) {
      throw new Error(`${roleLogicalId} has managed policies, whose documents this model does not hold`);
    }
    const inline = asArray(role.Policies as { PolicyName: string; PolicyDocument: unknown }[]).map((policy) => ({
      name: policy.PolicyName,
      policy: this.template.resolve(policy.PolicyDocument) as PolicyDocument,
    }));
    const attached = this.template
      .resourcesOf('AWS::IAM::Policy')
      .filter(([, policy]) =>
        asArray(policy.Properties!.Roles).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })),
      )
      .map(([logicalId, policy]) => ({
        name: logicalId,
        policy: this.template.resolve(policy.Properties!.PolicyDocument) as PolicyDocument,
      }));
    return [...inline, ...attached];
  }

  /** The trust policy of a template role. */
  trustPolicy(roleLogicalId: string): PolicyDocument {
    return this.template.resolve(this.template.resource(roleLogicalId).Properties!.AssumeRolePolicyDocument) as PolicyDocument;
  }

  /** The resource-based policy guarding `resource` (an ARN), if the template gives it one. */
  resourcePolicy(action: string, resource: string): PolicyDocument | undefined {
    if (action.toLowerCase() === 'sts:assumerole') {
      const role = this.template.resourcesOf('AWS::IAM::Role').find(([logicalId]) => this.template.getAtt(logicalId, 'Arn') === resource);
      return role ? this.trustPolicy(role[0]) : undefined;
    }
    const byKey = this.template.resourcesOf('AWS::KMS::Key').find(([logicalId]) => this.template.getAtt(logicalId, 'Arn') === resource);
    if (byKey) return this.template.resolve(byKey[1].Properties!.KeyPolicy) as PolicyDocument;
    const queue = this.attachedPolicy('AWS::SQS::QueuePolicy', 'Queues', (ref) =>
      this.template
        .resourcesOf('AWS::SQS::Queue')
        .some(([id]) => this.template.ref(id) === ref && this.template.getAtt(id, 'Arn') === resource),
    );
    if (queue) return queue;
    const topic = this.attachedPolicy('AWS::SNS::TopicPolicy', 'Topics', (ref) => ref === resource);
    if (topic) return topic;
    const s3 = `arn:${this.template.env.partition}:s3:::`;
    const bucket = this.attachedPolicy(
      'AWS::S3::BucketPolicy',
      'Bucket',
      (name) => resource === `${s3}${name}` || resource.startsWith(`${s3}${name}/`),
    );
    if (bucket) return bucket;
    return this.lambdaPermissions(resource);
  }

  private attachedPolicy(type: string, targets: string, guards: (target: string) => boolean): PolicyDocument | undefined {
    const found = this.template
      .resourcesOf(type)
      .find(([, policy]) => asArray(policy.Properties![targets]).some((target) => guards(this.template.string(target))));
    return found ? (this.template.resolve(found[1].Properties!.PolicyDocument) as PolicyDocument) : undefined;
  }

  /** A function's resource-based policy, as Lambda builds it from its AWS::Lambda::Permission resources. */
  private lambdaPermissions(functionArn: string): PolicyDocument | undefined {
    const statements = this.template
      .resourcesOf('AWS::Lambda::Permission')
      .filter(([, permission]) => this.functionArnOf(permission) === functionArn)
      .map(([, permission]) => {
        const p = permission.Properties!;
        const principal = this.template.string(p.Principal);
        const conditions: Record<string, Record<string, string>> = {};
        if (p.SourceArn !== undefined) conditions.ArnLike = { 'aws:SourceArn': this.template.string(p.SourceArn) };
        if (p.SourceAccount !== undefined) conditions.StringEquals = { 'aws:SourceAccount': this.template.string(p.SourceAccount) };
        return {
          Effect: 'Allow',
          Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
          Action: this.template.string(p.Action),
          Resource: functionArn,
          ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
        };
      });
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  private functionArnOf(permission: TemplateResource): string {
    const name = this.template.string(permission.Properties!.FunctionName);
    return name.startsWith('arn:') ? name : `arn:${this.template.env.partition}:lambda:${this.region}:${this.account}:function:${name}`;
  }

  /** The account that owns `resource` (S3 ARNs name none: the template's). */
  private accountOf(resource: string): string {
    return resource.split(':')[4] || this.account;
  }

  /** Evaluates `call` with the principal's identity policies (a template role's, or the call's own) and the resource's policy. */
  simulate(call: AwsCall): Promise<SimulationResult> {
    const role = this.roleOfPrincipal(call.principal);
    return simulate({
      principal: call.principal,
      action: call.action,
      resource: call.resource,
      resourceAccount: this.accountOf(call.resource),
      // Every SDK call is made over TLS (the queues and the bucket deny anything else).
      context: { 'aws:SecureTransport': 'true', ...call.context },
      identityPolicies: call.identityPolicies ?? (role ? this.identityPolicies(role) : []),
      resourcePolicy: this.resourcePolicy(call.action, call.resource),
    });
  }
}

function roleIdOf(role: unknown): string {
  const id = (role as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`a function role ${JSON.stringify(role)} is not a role of the template`);
  return id;
}
