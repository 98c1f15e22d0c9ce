import { operation } from './runtime/operation';

/**
 * `PATCH /v1/organizations/{organization_id}/settings`: the fields given replace the current ones;
 * audited as `organization.settings_updated`. Applies to keys created from now on.
 */
export const handler = operation('update-organization-settings', async ({ params, actor, body, services }) => ({
  body: { settings: await services.settings.update(params.organization_id, actor, body) },
}));
