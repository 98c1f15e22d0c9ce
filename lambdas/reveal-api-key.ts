import { splitVersion } from './http/etag';
import { operation } from './runtime/operation';

/**
 * `POST /v1/organizations/{organization_id}/api_keys/{api_key_id}/reveal`: decrypts the token and
 * records `api_key.revealed`. A POST, not a GET, so no cache or prefetcher replays it.
 */
export const handler = operation('reveal-api-key', async ({ params, actor, services }) => {
  const [apiKey, version] = splitVersion(await services.keys.reveal(params.organization_id, actor, params.api_key_id));
  return { body: { api_key: apiKey }, version };
});
