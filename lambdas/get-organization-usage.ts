import { operation } from './runtime/operation';

/** `GET /v1/organizations/{organization_id}/usage`: per key and bucket, oldest first (API.md §9). */
export const handler = operation('get-organization-usage', async ({ params, query, services }) => ({
  body: { usage: await services.usage.list(params.organization_id, query) },
}));
