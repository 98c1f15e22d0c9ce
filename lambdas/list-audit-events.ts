import { operation } from './runtime/operation';

/** `GET /v1/organizations/{organization_id}/audit_events`: newest first, `?limit=&cursor=`. */
export const handler = operation('list-audit-events', async ({ params, query, services }) => {
  const page = await services.keys.listAuditEvents(params.organization_id, query);
  return { body: { audit_events: page.items, meta: { next_cursor: page.nextCursor } } };
});
