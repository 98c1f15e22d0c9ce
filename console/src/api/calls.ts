import {
  type ApiClient,
  type ApiKey,
  answer,
  type ExpiresIn,
  type KeyExpiresIn,
  type Me,
  type OrganizationSettings,
  type OrganizationSettingsChanges,
  type Permissions,
  type RevealedApiKey,
  type UsageBucket,
} from './client';

/** Every management call the console makes (API.md §3), typed end to end by the generated client. */

const keyPath = (organization_id: string, api_key_id: string) => ({ params: { path: { organization_id, api_key_id } } });

export async function getMe(api: ApiClient): Promise<Me> {
  return (await answer(api.GET('/v1/me'))).data;
}

/** Every key of the organization (at most 100 exist, so this is one page in practice). */
export async function listApiKeys(api: ApiClient, organization_id: string): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await answer(
      api.GET('/v1/organizations/{organization_id}/api_keys', { params: { path: { organization_id }, query: { cursor } } }),
    );
    keys.push(...data.api_keys);
    cursor = data.meta.next_cursor ?? undefined;
  } while (cursor);
  return keys;
}

/** A key and its version (`ETag`), which a later `PATCH` sends back in `If-Match`. */
export async function getApiKey(
  api: ApiClient,
  organization_id: string,
  api_key_id: string,
): Promise<{ key: ApiKey; etag: string | null }> {
  const { data, response } = await answer(
    api.GET('/v1/organizations/{organization_id}/api_keys/{api_key_id}', keyPath(organization_id, api_key_id)),
  );
  return { key: data.api_key, etag: response.headers.get('etag') };
}

export async function revealApiKey(api: ApiClient, organization_id: string, api_key_id: string): Promise<RevealedApiKey> {
  const { data } = await answer(
    api.POST('/v1/organizations/{organization_id}/api_keys/{api_key_id}/reveal', keyPath(organization_id, api_key_id)),
  );
  return data.api_key;
}

export interface KeyFields {
  name: string;
  permissions: Permissions;
  /** The CIDR blocks the key may be used from (API.md §9); null: any source; absent: unchanged (Edit) or none (Add). */
  allowed_ips?: string[] | null;
  /** Add only: when the new key expires (API.md §8); absent: never (or the organization's policy). */
  expires_in?: KeyExpiresIn;
  /** Edit only, and only when changed: the new expiry, or null to clear it. */
  expires_at?: string | null;
}

export async function getSettings(api: ApiClient, organization_id: string): Promise<OrganizationSettings> {
  return (await answer(api.GET('/v1/organizations/{organization_id}/settings', { params: { path: { organization_id } } }))).data.settings;
}

export async function updateSettings(
  api: ApiClient,
  organization_id: string,
  settings: OrganizationSettingsChanges,
): Promise<OrganizationSettings> {
  const { data } = await answer(
    api.PATCH('/v1/organizations/{organization_id}/settings', { params: { path: { organization_id } }, body: settings }),
  );
  return data.settings;
}

export async function createApiKey(api: ApiClient, organization_id: string, fields: KeyFields): Promise<RevealedApiKey> {
  // An empty name is sent as it is: the API stores it as no name (null), as on update.
  const { data } = await answer(
    api.POST('/v1/organizations/{organization_id}/api_keys', {
      params: { path: { organization_id } },
      body: {
        name: fields.name,
        permissions: fields.permissions,
        ...(fields.allowed_ips ? { allowed_ips: fields.allowed_ips } : {}),
        ...(fields.expires_in ? { expires_in: fields.expires_in } : {}),
      },
    }),
  );
  return data.api_key;
}

export async function updateApiKey(
  api: ApiClient,
  organization_id: string,
  api_key_id: string,
  fields: KeyFields,
  etag: string | null,
): Promise<ApiKey> {
  const { data } = await answer(
    api.PATCH('/v1/organizations/{organization_id}/api_keys/{api_key_id}', {
      ...keyPath(organization_id, api_key_id),
      body: fields,
      headers: etag ? { 'if-match': etag } : {},
    }),
  );
  return data.api_key;
}

export async function rotateApiKey(
  api: ApiClient,
  organization_id: string,
  api_key_id: string,
  expires_in: ExpiresIn,
): Promise<{ newKey: RevealedApiKey; rotated: ApiKey }> {
  const { data } = await answer(
    api.POST('/v1/organizations/{organization_id}/api_keys/{api_key_id}/rotate', {
      ...keyPath(organization_id, api_key_id),
      body: { expires_in },
    }),
  );
  return { newKey: data.api_key, rotated: data.rotated_api_key };
}

export async function deleteApiKey(api: ApiClient, organization_id: string, api_key_id: string): Promise<void> {
  await answer(api.DELETE('/v1/organizations/{organization_id}/api_keys/{api_key_id}', keyPath(organization_id, api_key_id)));
}

/** The audit page size: a screenful. */
export const AUDIT_PAGE_SIZE = 20;

export async function listAuditEvents(api: ApiClient, organization_id: string, cursor: string | undefined) {
  const { data } = await answer(
    api.GET('/v1/organizations/{organization_id}/audit_events', {
      params: { path: { organization_id }, query: { limit: AUDIT_PAGE_SIZE, cursor } },
    }),
  );
  return { events: data.audit_events, nextCursor: data.meta.next_cursor };
}

export interface UsageQuery {
  from: string;
  to: string;
  granularity: 'hour' | 'day';
  api_key_id?: string;
}

/** The organization's requests per key and bucket, oldest first (API.md §9). */
export async function getUsage(api: ApiClient, organization_id: string, query: UsageQuery): Promise<UsageBucket[]> {
  const { data } = await answer(api.GET('/v1/organizations/{organization_id}/usage', { params: { path: { organization_id }, query } }));
  return data.usage;
}
