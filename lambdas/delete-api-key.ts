import { expectedVersions, splitVersion } from './http/etag';
import { ok } from './http/responses';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { apiKeyService } from './runtime';

// The scheduler removes the retirement job of a key deleted while its rotation was pending.
const keys = apiKeyService({ scheduler: true });

/**
 * `DELETE /v1/organizations/{organization_id}/api_keys/{api_key_id}`: permanent and immediate;
 * refused (422 last_non_expiring_api_key) when no other non-expiring key would remain. With
 * `If-Match`, only if the key is still at that version (else 412).
 */
export const handler = managementHandler({}, async ({ event, organizationId, actor }) => {
  const apiKeyId = apiKeyIdOf(event);
  const expected = expectedVersions(event);
  const [apiKey, version] = splitVersion(await (await keys()).delete(organizationId, actor, apiKeyId, expected));
  return ok({ api_key: apiKey }, { version });
});
