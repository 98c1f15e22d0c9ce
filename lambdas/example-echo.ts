import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { buildRouteTable, EXAMPLE_ROUTES, findRoute } from './domain/routes';

/**
 * The example protected backend (API.md §1): echoes what the api-key authorizer established, so
 * the authorizer can be exercised end to end. API Gateway only calls it after an Allow.
 */
const routes = buildRouteTable(EXAMPLE_ROUTES);

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const route = findRoute(routes, event.httpMethod, event.resource);
  const context = event.requestContext.authorizer;
  const organizationId = context?.organization_id;
  const apiKeyId = context?.api_key_id;
  // Unreachable behind the authorizer; refused rather than trusted if the wiring is ever wrong.
  if (typeof organizationId !== 'string' || typeof apiKeyId !== 'string') {
    return json(401, { status: 401, error: 'Unauthorized' });
  }
  if (!route) return json(404, { status: 404, error: 'Not Found' });
  return json(200, { organization_id: organizationId, api_key_id: apiKeyId, resource: route.resource, mode: route.mode });
}
