import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getApiKey, getMe, getUsage, listApiKeys, listAuditEvents, type UsageQuery } from '../api/calls';
import { fetchCatalog } from '../api/catalog';
import { useConsole } from './context';

/** The console's reads, cached per session by TanStack Query (refetched after each change). */
export const queryKeys = {
  me: ['me'] as const,
  catalog: ['catalog'] as const,
  keys: (organizationId: string) => ['organizations', organizationId, 'api_keys'] as const,
  key: (organizationId: string, apiKeyId: string) => ['organizations', organizationId, 'api_keys', apiKeyId] as const,
  audit: (organizationId: string, cursor: string | undefined) => ['organizations', organizationId, 'audit_events', cursor ?? ''] as const,
  usage: (organizationId: string, query: UsageQuery) => ['organizations', organizationId, 'usage', query] as const,
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

const HOUR_MS = 3_600_000;

/** The last `hours` hours up to the end of the current one, as a usage range of hourly buckets. */
export function lastHours(hours: number, now = Date.now()): UsageQuery {
  const end = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  return { from: new Date(end - hours * HOUR_MS).toISOString(), to: new Date(end).toISOString(), granularity: 'hour' };
}

export function useUsage(organizationId: string, query: UsageQuery) {
  const { api } = useConsole();
  return useQuery({
    queryKey: queryKeys.usage(organizationId, query),
    queryFn: () => getUsage(api, organizationId, query),
    placeholderData: keepPreviousData,
  });
}

/** Each key's requests (allowed, denied and throttled) over the last 24 hours, for the keys table. */
export function useRequests24h(organizationId: string) {
  const { api } = useConsole();
  // Hours, not the exact instant: the range (and so the cache entry) changes once an hour.
  const query = lastHours(24);
  return useQuery({
    queryKey: queryKeys.usage(organizationId, query),
    queryFn: () => getUsage(api, organizationId, query),
    select: (usage) => {
      const totals = new Map<string, number>();
      for (const bucket of usage) {
        const denied = Object.values(bucket.denied).reduce((sum, count) => sum + count, 0);
        totals.set(bucket.api_key_id, (totals.get(bucket.api_key_id) ?? 0) + bucket.allowed + denied + bucket.throttled);
      }
      return totals;
    },
  });
}
