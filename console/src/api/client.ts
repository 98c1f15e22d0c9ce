import createClient from 'openapi-fetch';
import type { components, paths } from './openapi.gen';

/**
 * The management API client: openapi-fetch over the types generated from keyward's OpenAPI
 * document, so a path, body or field the API does not have fails the console's type check.
 */
export type ApiKey = components['schemas']['ApiKey'];
export type RevealedApiKey = ApiKey & { value: string };
export type AuditEvent = components['schemas']['AuditEvent'];
export type Me = components['schemas']['Me'];
export type Permissions = ApiKey['permissions'];
export type ExpiresIn = NonNullable<components['schemas']['Rotation']['expires_in']>;
export type KeyExpiresIn = NonNullable<components['schemas']['NewApiKey']['expires_in']>;
export type OrganizationSettings = components['schemas']['OrganizationSettings'];
/** What a PATCH of the settings may change: the key policy (the plan is the operators'). */
export type OrganizationSettingsChanges = components['schemas']['OrganizationSettingsChanges'];
export type UsageBucket = components['schemas']['UsageBucket'];

export function createApiClient(baseUrl: string, token: () => string) {
  const client = createClient<paths>({ baseUrl });
  client.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token()}`);
      return request;
    },
  });
  return client;
}
export type ApiClient = ReturnType<typeof createApiClient>;

/** An API answer other than success, or no answer at all (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly details: Record<string, string[]> = {},
    reason = '',
  ) {
    super(`${status}${code ? ` ${code}` : ''}${reason ? `: ${reason}` : ''}`);
    this.name = 'ApiError';
  }
}

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call: its data on success, else an ApiError from the contract's error
 * body (`{"status","error","code","error_details"}`), whatever shape a proxy's error page has.
 */
export async function answer<A extends Answer>(call: Promise<A>): Promise<{ data: NonNullable<A['data']>; response: Response }> {
  let result: A;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, undefined, {}, error instanceof Error ? error.message : String(error));
  }
  const { response } = result;
  if (!response.ok || result.data === undefined) {
    const body = (typeof result.error === 'object' && result.error !== null ? result.error : {}) as Partial<components['schemas']['Error']>;
    throw new ApiError(response.status, typeof body.code === 'string' ? body.code : undefined, body.error_details ?? {}, body.error ?? '');
  }
  return { data: result.data as NonNullable<A['data']>, response };
}
