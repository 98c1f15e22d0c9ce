import { operation } from './runtime/operation';

/** `GET /v1/organizations/{organization_id}/settings`: the key policy, defaults where unset (API.md §8), and its `ETag`. */
export const handler = operation('get-organization-settings', async ({ params, services }) => {
  const { settings, version } = await services.settings.get(params.organization_id);
  return { body: { settings }, version };
});
