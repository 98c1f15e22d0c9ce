import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

/**
 * A scripted REQUEST authorizer for the gateway tests: the `x-outcome` header picks the result,
 * and every event it receives is kept so tests can inspect what the gateway built.
 */
export const received: APIGatewayRequestAuthorizerEvent[] = [];

function policy(effect: 'Allow' | 'Deny', resource: string, context: Record<string, unknown> = {}): APIGatewayAuthorizerResult {
  return {
    principalId: 'principal-1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    context: context as APIGatewayAuthorizerResult['context'],
  };
}

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<unknown> {
  received.push(event);
  switch (event.headers?.['x-outcome']) {
    case 'unauthorized':
      throw new Error('Unauthorized');
    case 'crash':
      throw new Error('table unreachable');
    case 'garbage':
      return { nope: true };
    case 'deny-with-code':
      return policy('Deny', event.methodArn, { code: 'write_action_not_allowed_for_customer' });
    case 'deny':
      return policy('Deny', event.methodArn);
    case 'allow-elsewhere':
      return policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:local/local/GET/v1/other');
    case 'allow-wildcard':
      return policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:local/local/*');
    case 'typed-context':
      return policy('Allow', event.methodArn, { count: 1, ratio: 0.5, flag: true, off: false, name: 'x' });
    case 'nested-context':
      return policy('Allow', event.methodArn, { nested: { not: 'allowed' } });
    default:
      return policy('Allow', event.methodArn, { organization_id: 'org-1', api_key_id: 'key-1' });
  }
}
