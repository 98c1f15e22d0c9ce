import { splitVersion } from './http/etag';
import { operation } from './runtime/operation';

/**
 * `DELETE /v1/organizations/{organization_id}/api_keys/{api_key_id}`: permanent and immediate;
 * refused (422 last_non_expiring_api_key) when no other non-expiring key would remain. With
 * `If-Match`, only if the key is still at that version (else 412).
 */
export const handler = operation('delete-api-key', async ({ params, actor, expected, services }) => {
  const [apiKey, version] = splitVersion(await services.keys.delete(params.organization_id, actor, params.api_key_id, expected));
  return { body: { api_key: apiKey }, version };
});
