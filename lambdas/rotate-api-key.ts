import { expectedVersions, splitVersion } from './http/etag';
import { ok } from './http/responses';
import { rotateApiKeySchema } from './http/schemas';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { parseWith } from './http/validation';
import { apiKeyService } from './runtime';

const keys = apiKeyService({ secrets: true, scheduler: true });

/**
 * `POST /v1/organizations/{organization_id}/api_keys/{api_key_id}/rotate`: a new key that inherits
 * name and permissions; the old one stops now or at the requested time (API.md §3 Rotation). With
 * `If-Match`, only if the old key is still at that version (else 412); the `ETag` is the new key's.
 */
export const handler = managementHandler({ jsonBody: true }, async ({ event, body, organizationId, actor }) => {
  const apiKeyId = apiKeyIdOf(event);
  const expected = expectedVersions(event);
  const request = parseWith(rotateApiKeySchema, body);
  const { api_key, rotated_api_key } = await (await keys()).rotate(organizationId, actor, apiKeyId, request, expected);
  const [apiKey, version] = splitVersion(api_key);
  return ok({ api_key: apiKey, rotated_api_key }, { noStore: true, version });
});
