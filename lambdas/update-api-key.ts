import { splitVersion } from './http/etag';
import { operation } from './runtime/operation';

/**
 * `PATCH /v1/organizations/{organization_id}/api_keys/{api_key_id}`: omitted fields stay unchanged;
 * with `If-Match`, only if the key is still at that version (else 412).
 */
export const handler = operation('update-api-key', async ({ params, actor, body, expected, services }) => {
  const [apiKey, version] = splitVersion(await services.keys.update(params.organization_id, actor, params.api_key_id, body, expected));
  return { body: { api_key: apiKey }, version };
});
