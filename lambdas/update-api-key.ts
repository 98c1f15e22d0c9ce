import { ok } from './http/responses';
import { updateApiKeySchema } from './http/schemas';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { parseWith } from './http/validation';
import { apiKeyService, keySettings } from './runtime';

const keys = apiKeyService();
const schema = updateApiKeySchema(keySettings.catalog);

/** `PATCH /v1/organizations/{organization_id}/api_keys/{api_key_id}`: omitted fields stay unchanged. */
export const handler = managementHandler({ jsonBody: true }, async ({ event, body, organizationId, actor }) => {
  const apiKeyId = apiKeyIdOf(event);
  const input = parseWith(schema, body);
  const apiKey = await (await keys()).update(organizationId, actor, apiKeyId, input);
  return ok({ api_key: apiKey });
});
