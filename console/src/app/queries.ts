import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getApiKey, getMe, listApiKeys, listAuditEvents } from '../api/calls';
import { fetchCatalog } from '../api/catalog';
import { useConsole } from './context';

/** The console's reads, cached per session by TanStack Query (refetched after each change). */
export const queryKeys = {
  me: ['me'] as const,
  catalog: ['catalog'] as const,
  keys: (organizationId: string) => ['organizations', organizationId, 'api_keys'] as const,
  key: (organizationId: string, apiKeyId: string) => ['organizations', organizationId, 'api_keys', apiKeyId] as const,
  audit: (organizationId: string, cursor: string | undefined) => ['organizations', organizationId, 'audit_events', cursor ?? ''] as const,
};

export function useMe() {
  const { api } = useConsole();
  return useQuery({ queryKey: queryKeys.me, queryFn: () => getMe(api), staleTime: 60_000 });
}

export function useCatalog() {
  const { config } = useConsole();
  return useQuery({ queryKey: queryKeys.catalog, queryFn: () => fetchCatalog(config.apiBaseUrl), staleTime: Number.POSITIVE_INFINITY });
}

export function useApiKeys(organizationId: string) {
  const { api } = useConsole();
  return useQuery({ queryKey: queryKeys.keys(organizationId), queryFn: () => listApiKeys(api, organizationId) });
}

/** One key with its ETag, read fresh whenever the edit page opens (the version `If-Match` sends back). */
export function useApiKey(organizationId: string, apiKeyId: string) {
  const { api } = useConsole();
  return useQuery({
    queryKey: queryKeys.key(organizationId, apiKeyId),
    queryFn: () => getApiKey(api, organizationId, apiKeyId),
    staleTime: 0,
    gcTime: 0,
  });
}

export function useAuditEvents(organizationId: string, cursor: string | undefined) {
  const { api } = useConsole();
  return useQuery({
    queryKey: queryKeys.audit(organizationId, cursor),
    queryFn: () => listAuditEvents(api, organizationId, cursor),
    placeholderData: keepPreviousData,
  });
}
