import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { decodePathSegment } from '../domain/routes';

/**
 * A path parameter as the client meant it. API Gateway REST passes path parameters as sent, still
 * percent-encoded (`/organizations/acme%2Dcorp` → `acme%2Dcorp`), so each reader decodes them here.
 * Undefined when absent, empty, or not valid percent-encoding (which API Gateway refuses before any
 * function runs); either way it names nothing.
 */
export function pathParameter(
  event: Pick<APIGatewayProxyEvent | APIGatewayRequestAuthorizerEvent, 'pathParameters'>,
  name: string,
): string | undefined {
  const raw = event.pathParameters?.[name];
  if (typeof raw !== 'string' || raw === '') return undefined;
  return decodePathSegment(raw);
}
