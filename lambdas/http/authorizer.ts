import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEventHeaders } from 'aws-lambda';

/**
 * What both REQUEST authorizers (api-key and admin) read from API Gateway's event and answer it
 * with. Type-only imports: the api-key authorizer's bundle stays the DynamoDB client and the domain.
 */

/** A header's value, trimmed, by case-insensitive name; a blank value counts as absent. */
export function headerValue(headers: APIGatewayRequestAuthorizerEventHeaders | null, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The credential of an `Authorization: Bearer <credential>` value (scheme case-insensitive). */
export function bearerCredential(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/** API Gateway answers 401 (and never calls the backend) when a REQUEST authorizer throws exactly this. */
export function unauthorized(): Error {
  return new Error('Unauthorized');
}

/** The IAM policy that allows or denies invoking the method, with the context API Gateway passes on. */
export function policy(
  effect: 'Allow' | 'Deny',
  principalId: string,
  methodArn: string,
  context: Record<string, string>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
    },
    context,
  };
}
