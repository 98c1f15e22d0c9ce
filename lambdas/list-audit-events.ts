import { ok } from './http/responses';
import { pageQuerySchema } from './http/schemas';
import { managementHandler } from './http/stack';
import { parseWith } from './http/validation';
import { apiKeyService } from './runtime';

const keys = apiKeyService();

/** `GET /v1/organizations/{organization_id}/audit_events`: newest first, `?limit=&cursor=`. */
export const handler = managementHandler({}, async ({ event, organizationId }) => {
  const page = parseWith(pageQuerySchema, event.queryStringParameters ?? {}, 'query');
  const result = await (await keys()).listAuditEvents(organizationId, page);
  return ok({ audit_events: result.items, meta: { next_cursor: result.nextCursor } });
});
