import { splitVersion } from './http/etag';
import { ok } from './http/responses';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { apiKeyService } from './runtime';

const keys = apiKeyService();

/** `GET /v1/organizations/{organization_id}/api_keys/{api_key_id}`: never carries `value`. */
export const handler = managementHandler({}, async ({ event, organizationId }) => {
  const [apiKey, version] = splitVersion(await (await keys()).get(organizationId, apiKeyIdOf(event)));
  return ok({ api_key: apiKey }, { version });
});
