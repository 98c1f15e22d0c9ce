import { splitVersion } from './http/etag';
import { ok } from './http/responses';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { apiKeyService } from './runtime';

const keys = apiKeyService({ secrets: true });

/**
 * `POST /v1/organizations/{organization_id}/api_keys/{api_key_id}/reveal`: decrypts the token and
 * records `api_key.revealed`. A POST, not a GET, so no cache or prefetcher replays it.
 */
export const handler = managementHandler({}, async ({ event, organizationId, actor }) => {
  const [apiKey, version] = splitVersion(await (await keys()).reveal(organizationId, actor, apiKeyIdOf(event)));
  return ok({ api_key: apiKey }, { noStore: true, version });
});
