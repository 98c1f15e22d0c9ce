import { ok } from './http/responses';
import { rotateApiKeySchema } from './http/schemas';
import { apiKeyIdOf, managementHandler } from './http/stack';
import { parseWith } from './http/validation';
import { apiKeyService } from './runtime';

const keys = apiKeyService({ secrets: true, scheduler: true });

/**
 * `POST /v1/organizations/{organization_id}/api_keys/{api_key_id}/rotate`: a new key that inherits
 * name and permissions; the old one stops now or at the requested time (API.md §3 Rotation).
 */
export const handler = managementHandler({ jsonBody: true }, async ({ event, body, organizationId, actor }) => {
  const apiKeyId = apiKeyIdOf(event);
  const request = parseWith(rotateApiKeySchema, body);
  const result = await (await keys()).rotate(organizationId, actor, apiKeyId, request);
  return ok(result, { noStore: true });
});
