import { operation } from './runtime/operation';

/**
 * `PATCH /v1/organizations/{organization_id}/settings`: the fields given replace the current ones
 * (only those are written); with `If-Match`, only if the settings are still at that version (else
 * 412). Audited as `organization.settings_updated`. Applies to keys created from now on.
 */
export const handler = operation('update-organization-settings', async ({ params, actor, body, expected, services }) => {
  const { settings, version } = await services.settings.update(params.organization_id, actor, body, expected);
  return { body: { settings }, version };
});
