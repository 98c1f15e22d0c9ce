import { splitVersion } from './http/etag';
import { operation } from './runtime/operation';

/** `GET /v1/organizations/{organization_id}/api_keys/{api_key_id}`: never carries `value`. */
export const handler = operation('get-api-key', async ({ params, services }) => {
  const [apiKey, version] = splitVersion(await services.keys.get(params.organization_id, params.api_key_id));
  return { body: { api_key: apiKey }, version };
});
