/**
 * The management API (API.md §3): each route and the one entry file (`lambdas/<entry>.ts`) that
 * handles it. The CDK stack and the local gateway both build their routing from this list.
 */
export interface ManagementRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  entry: string;
}

const KEYS = '/v1/organizations/{organization_id}/api_keys';

export const MANAGEMENT_ROUTES: readonly ManagementRoute[] = [
  { method: 'GET', path: KEYS, entry: 'list-api-keys' },
  { method: 'POST', path: KEYS, entry: 'create-api-key' },
  { method: 'GET', path: `${KEYS}/{api_key_id}`, entry: 'get-api-key' },
  { method: 'POST', path: `${KEYS}/{api_key_id}/reveal`, entry: 'reveal-api-key' },
  { method: 'PATCH', path: `${KEYS}/{api_key_id}`, entry: 'update-api-key' },
  { method: 'POST', path: `${KEYS}/{api_key_id}/rotate`, entry: 'rotate-api-key' },
  { method: 'DELETE', path: `${KEYS}/{api_key_id}`, entry: 'delete-api-key' },
  { method: 'GET', path: '/v1/organizations/{organization_id}/audit_events', entry: 'list-audit-events' },
];
