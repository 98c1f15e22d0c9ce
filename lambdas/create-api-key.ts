import { splitVersion } from './http/etag';
import { operation } from './runtime/operation';

/** `POST /v1/organizations/{organization_id}/api_keys`: the one response that shows a new token. */
export const handler = operation('create-api-key', async ({ params, actor, body, services }) => {
  const [apiKey, version] = splitVersion(await services.keys.create(params.organization_id, actor, body));
  return { body: { api_key: apiKey }, version };
});
