import { splitVersion } from './http/etag';
import { operation } from './runtime/operation';

/**
 * `POST /v1/organizations/{organization_id}/api_keys/{api_key_id}/rotate`: a new key that inherits
 * name and permissions; the old one stops now or at the requested time (API.md §3 Rotation). With
 * `If-Match`, only if the old key is still at that version (else 412); the `ETag` is the new key's.
 */
export const handler = operation('rotate-api-key', async ({ params, actor, body, expected, services }) => {
  const rotation = await services.keys.rotate(params.organization_id, actor, params.api_key_id, body, expected);
  const [apiKey, version] = splitVersion(rotation.api_key);
  return { body: { api_key: apiKey, rotated_api_key: rotation.rotated_api_key }, version };
});
