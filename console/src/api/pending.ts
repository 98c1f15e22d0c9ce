/**
 * PENDING (issue 10, phase B): what the console needs and keyward's OpenAPI document does not
 * publish yet. Delete each part once lambdas/http/openapi.ts describes it, and the generated types
 * take over.
 */

/** `GET /v1/me` (API.md §3): the caller's organizations and roles, for the organization picker. */
export interface Me {
  email: string;
  organizations: { id: string; name: string; role: 'admin' | 'member' }[];
}

export interface PendingPaths {
  '/v1/me': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: {
        200: { headers: { [name: string]: unknown }; content: { 'application/json': Me } };
        401: { headers: { [name: string]: unknown }; content: { 'application/json': { status: number; error: string; code?: string } } };
      };
    };
  };
}

/** What an audit event's `details` carry (API.md §3); the document says only "an object". */
export interface AuditEventDetails {
  name?: string | null;
  masked_value?: string;
  new_api_key_id?: string;
  expires_at?: string;
}
