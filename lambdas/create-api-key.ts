import { splitVersion } from './http/etag';
import { created } from './http/responses';
import { createApiKeySchema } from './http/schemas';
import { managementHandler } from './http/stack';
import { parseWith } from './http/validation';
import { apiKeyService, keySettings } from './runtime';

const keys = apiKeyService({ secrets: true });
const schema = createApiKeySchema(keySettings.catalog);

/** `POST /v1/organizations/{organization_id}/api_keys`: the one response that shows a new token. */
export const handler = managementHandler({ jsonBody: true }, async ({ body, organizationId, actor }) => {
  const input = parseWith(schema, body);
  const [apiKey, version] = splitVersion(await (await keys()).create(organizationId, actor, input));
  return created({ api_key: apiKey }, { noStore: true, version });
});
