import { operation } from './runtime/operation';

/** `GET /v1/organizations/{organization_id}/api_keys`: keys oldest first, `?limit=&cursor=`. */
export const handler = operation('list-api-keys', async ({ params, query, services }) => {
  const page = await services.keys.list(params.organization_id, query);
  return { body: { api_keys: page.items, meta: { next_cursor: page.nextCursor } } };
});
