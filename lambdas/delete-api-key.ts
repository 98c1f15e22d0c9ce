import { ok } from './http/responses';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { apiKeyService } from './runtime';

const keys = apiKeyService();

/**
 * `DELETE /v1/organizations/{organization_id}/api_keys/{api_key_id}`: permanent and immediate;
 * refused (422 last_non_expiring_api_key) when no other non-expiring key would remain.
 */
export const handler = managementHandler({}, async ({ event, organizationId, actor }) => {
  const apiKey = await (await keys()).delete(organizationId, actor, apiKeyIdOf(event));
  return ok({ api_key: apiKey });
});
