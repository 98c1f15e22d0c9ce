import { expectedVersions, splitVersion } from './http/etag';
import { ok } from './http/responses';
import { updateApiKeySchema } from './http/schemas';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { parseWith } from './http/validation';
import { apiKeyService, keySettings } from './runtime';

const keys = apiKeyService();
const schema = updateApiKeySchema(keySettings.catalog);

/**
 * `PATCH /v1/organizations/{organization_id}/api_keys/{api_key_id}`: omitted fields stay unchanged;
 * with `If-Match`, only if the key is still at that version (else 412).
 */
export const handler = managementHandler({ jsonBody: true }, async ({ event, body, organizationId, actor }) => {
  const apiKeyId = apiKeyIdOf(event);
  const expected = expectedVersions(event);
  const input = parseWith(schema, body);
  const [apiKey, version] = splitVersion(await (await keys()).update(organizationId, actor, apiKeyId, input, expected));
  return ok({ api_key: apiKey }, { version });
});
