import type { APIGatewayAuthorizerResult } from 'aws-lambda';

/** What an authorizer's result lets through: IAM's evaluation of its policy for one method ARN. */

export type Json = Record<string, unknown>;

export interface Decision {
  allowed: boolean;
  context: Json;
  principalId: string;
}

/**
 * Evaluates the authorizer's policy for `methodArn` as IAM does: an explicit Deny wins, otherwise
 * an Allow is needed. Returns undefined when the result is not a valid authorizer result.
 */
export function evaluatePolicy(result: unknown, methodArn: string): Decision | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { principalId, policyDocument, context } = result as Partial<APIGatewayAuthorizerResult>;
  if (typeof principalId !== 'string' || !policyDocument || !Array.isArray(policyDocument.Statement)) return undefined;
  if (context !== undefined && context !== null) {
    // API Gateway rejects context values that are not string, number or boolean.
    const primitive = Object.values(context).every((value) => ['string', 'number', 'boolean'].includes(typeof value));
    if (typeof context !== 'object' || !primitive) return undefined;
  }
  let allowed = false;
  for (const statement of policyDocument.Statement) {
    const raw = statement as { Effect?: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = asList(raw.Action);
    const resources = asList(raw.Resource);
    const invokes = actions.some((action) => wildcardMatches(action, 'execute-api:Invoke'));
    const covers = resources.some((resource) => wildcardMatches(resource, methodArn));
    if (!invokes || !covers) continue;
    if (raw.Effect === 'Deny') return { allowed: false, context: context ?? {}, principalId };
    if (raw.Effect === 'Allow') allowed = true;
  }
  return { allowed, context: context ?? {}, principalId };
}

function wildcardMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
