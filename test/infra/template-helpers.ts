import type { Template } from 'aws-cdk-lib/assertions';
import { fnName, KEYWARD_ENTRIES } from './synth';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The CloudFormation resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The logical id of the function named `keyward-<stage>-<entry>`. */
export function functionId(template: Template, name: string): string {
  const match = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(([, r]) => r.Properties?.FunctionName === name);
  if (!match) throw new Error(`no function named ${name}`);
  return match[0];
}

export function functionProps(template: Template, name: string): Record<string, unknown> {
  return resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, name)]!.Properties!;
}

export function environmentOf(template: Template, name: string): Record<string, unknown> {
  return (functionProps(template, name).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

/** Every IAM statement attached to the role of the function named `name`. */
export function statementsOf(template: Template, name: string): Statement[] {
  const role = (functionProps(template, name).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return statementsOfRole(template, role);
}

export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties!.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The sorted, distinct actions a function's role allows. */
export function actionsOf(template: Template, name: string): string[] {
  const actions = statementsOf(template, name).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  return [...new Set(actions)].sort();
}

/** Whether a token-bearing value (Ref / GetAtt / Join) mentions a logical id. */
export function mentions(value: unknown, logicalId: string): boolean {
  return JSON.stringify(value).includes(`"${logicalId}"`);
}

/** The path of an API Gateway resource (`{Ref: id}`), from its PathPart up to the root. */
export function resourcePath(template: Template, resource: unknown): string {
  const id = (resource as { Ref?: string }).Ref;
  if (id === undefined) return '';
  const { ParentId, PathPart } = resourcesOf(template, 'AWS::ApiGateway::Resource')[id]!.Properties as {
    ParentId: unknown;
    PathPart: string;
  };
  return `${resourcePath(template, ParentId)}/${PathPart}`;
}

/** The entries of the functions whose role allows `action`, sorted. */
export const usingAction = (template: Template, action: string, stage: string) =>
  KEYWARD_ENTRIES.filter((entry) => actionsOf(template, fnName(entry, stage)).includes(action)).sort();
