import { HttpResponse, http, type JsonBodyType } from 'msw';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import { openApiDocument } from '../../lambdas/operations/openapi';
import type { ApiKey, AuditEvent, Permissions } from '../src/api/client';

/**
 * A stand-in for keyward's management API and an OIDC issuer at the network layer (MSW), so the
 * console's real client, fetch calls and headers are exercised. It keeps the contract's shapes,
 * status codes and rules that the console reacts to (API.md §3): membership and admin role,
 * ETag / If-Match, the last-key rule, one pending rotation, validation errors. The real API is
 * tested against these rules in the jest suites; the browser tests of phase B run against it.
 */
export const API = 'http://api.test';
export const ISSUER = 'http://issuer.test/local-issuer';
export const CLIENT_ID = 'keyward-console';
export const CONSOLE_URL = 'http://localhost:3000/console/';

type Role = 'admin' | 'member';
interface StoredKey extends ApiKey {
  value: string;
  version: number;
}
interface Organization {
  id: string;
  name: string;
  members: Record<string, Role>;
  keys: StoredKey[];
  events: AuditEvent[];
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
let counter = 0;
const nextId = (prefix: string) => `${prefix}_${String(++counter).padStart(6, '0')}`;

function newToken(): string {
  let random = '';
  for (let i = 0; i < 36; i++) random += BASE62[Math.floor(Math.random() * 62)];
  return `kw_${random}`;
}

const fullPermissions = (): Permissions => Object.fromEntries(DEFAULT_RESOURCE_CATALOG.map((resource) => [resource, ['read', 'write']]));

/** An unsigned JWT: the console only decodes its ID token, the (fake) API reads the email from it. */
export function idToken(email: string, expiresInSeconds = 3600): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: ISSUER, aud: CLIENT_ID, sub: `dev|${email}`, email, iat: now, exp: now + expiresInSeconds })}.sig`;
}

function emailOf(request: Request): string | undefined {
  const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { email?: string; exp?: number };
    return claims.exp !== undefined && claims.exp * 1000 > Date.now() ? claims.email : undefined;
  } catch {
    return undefined;
  }
}

const error = (status: number, reason: string, code?: string, details?: Record<string, string[]>) =>
  HttpResponse.json({ status, error: reason, ...(code ? { code } : {}), ...(details ? { error_details: details } : {}) }, { status });

const publicKey = ({ value: _value, version: _version, ...key }: StoredKey): ApiKey => key;

export interface KeySeed {
  name?: string | null;
  permissions?: Permissions;
  allowed_ips?: string[] | null;
  created_at?: string;
  expires_at?: string | null;
  /** Defaults to `request` for a key with an `expires_at`. */
  expiry_source?: ApiKey['expiry_source'];
  last_used_at?: string | null;
}

/** The API's last-key rule (API.md §8): no expiry, or only the policy's, counts as non-expiring. */
const nonExpiring = (key: StoredKey) => key.expires_at === null || key.expiry_source === 'policy';

export class FakeKeyward {
  readonly organizations = new Map<string, Organization>();
  /** Every request the console made, for assertions on what it sent. */
  readonly requests: { method: string; path: string; headers: Headers; body: unknown }[] = [];
  /** Make the next matching request fail this way (once). */
  private failures: { method: string; path: RegExp; respond: () => Response }[] = [];

  organization(id: string, name: string, members: Record<string, Role>): this {
    this.organizations.set(id, { id, name, members, keys: [], events: [] });
    return this;
  }

  key(organizationId: string, seed: KeySeed = {}): StoredKey {
    const organization = this.organizations.get(organizationId)!;
    const value = newToken();
    const key: StoredKey = {
      id: nextId('key'),
      organization_id: organizationId,
      name: seed.name ?? null,
      masked_value: `kw_••••••••${value.slice(-4)}`,
      permissions: seed.permissions ?? fullPermissions(),
      allowed_ips: seed.allowed_ips ?? null,
      created_at: seed.created_at ?? '2026-11-01T09:30:00.000Z',
      expires_at: seed.expires_at ?? null,
      expiry_source: seed.expiry_source ?? (seed.expires_at ? 'request' : null),
      last_used_at: seed.last_used_at ?? null,
      value,
      version: 1,
    };
    organization.keys.push(key);
    return key;
  }

  event(organizationId: string, event: Omit<AuditEvent, 'id'>): void {
    this.organizations.get(organizationId)!.events.unshift({ id: nextId('event'), ...event });
  }

  /** Usage buckets per organization (API.md §9), as the aggregator would have counted them. */
  readonly usage = new Map<
    string,
    { start: string; api_key_id: string; allowed: number; denied: Record<string, number>; throttled: number }[]
  >();

  /** Organization settings (API.md §8), defaults until changed. */
  readonly settings = new Map<
    string,
    { max_key_lifetime_days: number | null; expiry_reminder_days: number[]; leaked_key_action: 'rotate' | 'notify' }
  >();

  settingsOf(organizationId: string) {
    return this.settings.get(organizationId) ?? { max_key_lifetime_days: null, expiry_reminder_days: [7, 1], leaked_key_action: 'rotate' };
  }

  failNext(method: string, path: RegExp, respond: () => Response): void {
    this.failures.push({ method, path, respond });
  }

  /** Another admin's change: the key's version moves on, as with any real change. */
  changeBehindTheConsole(organizationId: string, keyId: string, change: Partial<Pick<ApiKey, 'name' | 'permissions'>>): void {
    const key = this.organizations.get(organizationId)!.keys.find((candidate) => candidate.id === keyId)!;
    Object.assign(key, change);
    key.version++;
  }

  requestsTo(method: string, path: RegExp) {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  private audit(organization: Organization, type: AuditEvent['type'], key: StoredKey, email: string, details: AuditEvent['details'] = {}) {
    organization.events.unshift({
      id: nextId('event'),
      type,
      occurred_at: new Date().toISOString(),
      actor: { type: 'user', email },
      api_key_id: key.id,
      details: { name: key.name, masked_value: key.masked_value, ...details },
    });
  }

  /** Validation as the API does it for the console's fields (API.md §3). */
  private invalid(body: Record<string, unknown>): Record<string, string[]> | undefined {
    const details: Record<string, string[]> = {};
    if (typeof body.name === 'string' && [...body.name.trim()].length > 100) details.name = ['must be at most 100 characters'];
    if (body.permissions !== undefined && Object.keys(body.permissions as object).length === 0) {
      details.permissions = ['must grant at least one resource'];
    }
    const blocks = body.allowed_ips;
    if (Array.isArray(blocks) && blocks.some((block) => typeof block !== 'string' || !/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(block))) {
      details.allowed_ips = ['is not an IPv4 or IPv6 address or CIDR block'];
    }
    return Object.keys(details).length > 0 ? details : undefined;
  }

  handlers() {
    const keyed = (request: Request, organization: Organization, id: string) => {
      const key = organization.keys.find((candidate) => candidate.id === id);
      if (!key) return { response: error(404, 'Not Found', 'api_key_not_found') };
      const ifMatch = request.headers.get('if-match');
      if (ifMatch !== null && ifMatch !== `"${key.version}"`) return { response: error(412, 'Precondition Failed', 'precondition_failed') };
      return { key };
    };
    const withKey = (key: StoredKey, body: JsonBodyType, status = 200) =>
      HttpResponse.json(body, { status, headers: { etag: `"${key.version}"`, 'cache-control': 'no-store' } });

    /** Authentication, membership and role, in the API's order; then the route's own logic. */
    const admin =
      (
        route: (args: {
          request: Request;
          organization: Organization;
          email: string;
          params: Record<string, string>;
        }) => Promise<Response> | Response,
      ) =>
      async ({ request, params }: { request: Request; params: Record<string, string | readonly string[] | undefined> }) => {
        const url = new URL(request.url);
        const text = await request.clone().text();
        this.requests.push({
          method: request.method,
          path: url.pathname,
          headers: request.headers,
          body: text ? JSON.parse(text) : undefined,
        });
        const failure = this.failures.find((candidate) => candidate.method === request.method && candidate.path.test(url.pathname));
        if (failure) {
          this.failures.splice(this.failures.indexOf(failure), 1);
          return failure.respond();
        }
        const email = emailOf(request);
        if (!email) return HttpResponse.json({ status: 401, error: 'Unauthorized' }, { status: 401 });
        const organization = this.organizations.get(String(params.organization_id));
        const role = organization?.members[email];
        if (!organization || !role) return error(404, 'Not Found', 'organization_not_found');
        if (role !== 'admin') return error(403, 'Forbidden', 'admin_role_required');
        return route({ request, organization, email, params: params as Record<string, string> });
      };

    const keys = `${API}/v1/organizations/:organization_id/api_keys`;
    return [
      http.get(`${API}/openapi.json`, () => HttpResponse.json(openApiDocument(DEFAULT_RESOURCE_CATALOG) as JsonBodyType)),
      http.get(`${API}/v1/me`, ({ request }) => {
        this.requests.push({ method: 'GET', path: '/v1/me', headers: request.headers, body: undefined });
        const failure = this.failures.find((candidate) => candidate.method === 'GET' && candidate.path.test('/v1/me'));
        if (failure) {
          this.failures.splice(this.failures.indexOf(failure), 1);
          return failure.respond();
        }
        const email = emailOf(request);
        if (!email) return HttpResponse.json({ status: 401, error: 'Unauthorized' }, { status: 401 });
        const organizations = [...this.organizations.values()]
          .filter((organization) => organization.members[email])
          .map(({ id, name, members }) => ({ id, name, role: members[email]! }));
        return HttpResponse.json({ email, organizations });
      }),
      http.get(
        `${API}/v1/organizations/:organization_id/usage`,
        admin(({ request, organization }) => {
          const query = new URL(request.url).searchParams;
          const from = Date.parse(query.get('from') ?? '');
          const to = Date.parse(query.get('to') ?? '');
          const key = query.get('api_key_id');
          const usage = (this.usage.get(organization.id) ?? []).filter(
            (bucket) => Date.parse(bucket.start) >= from && Date.parse(bucket.start) < to && (key === null || bucket.api_key_id === key),
          );
          return HttpResponse.json({ usage });
        }),
      ),
      http.get(
        `${API}/v1/organizations/:organization_id/settings`,
        admin(({ organization }) => HttpResponse.json({ settings: this.settingsOf(organization.id) })),
      ),
      http.patch(
        `${API}/v1/organizations/:organization_id/settings`,
        admin(async ({ request, organization }) => {
          const body = (await request.json()) as {
            max_key_lifetime_days?: number | null;
            expiry_reminder_days?: number[];
            leaked_key_action?: 'rotate' | 'notify';
          };
          const max = body.max_key_lifetime_days;
          if (max !== undefined && max !== null && (max < 1 || max > 730)) {
            return error(422, 'Unprocessable Entity', 'validation_errors', {
              max_key_lifetime_days: ['must be a whole number of days from 1 to 730, or null'],
            });
          }
          const current = this.settingsOf(organization.id);
          const next = {
            max_key_lifetime_days: max === undefined ? current.max_key_lifetime_days : max,
            expiry_reminder_days: [...(body.expiry_reminder_days ?? current.expiry_reminder_days)].sort((a, b) => b - a),
            leaked_key_action: body.leaked_key_action ?? current.leaked_key_action,
          };
          this.settings.set(organization.id, next);
          return HttpResponse.json({ settings: next });
        }),
      ),
      http.get(
        keys,
        admin(({ organization }) => HttpResponse.json({ api_keys: organization.keys.map(publicKey), meta: { next_cursor: null } })),
      ),
      http.post(
        keys,
        admin(async ({ request, organization, email }) => {
          const body = (await request.json()) as {
            name?: string | null;
            permissions?: Permissions;
            allowed_ips?: string[] | null;
            expires_in?: string;
            expires_at?: string;
          };
          const details = this.invalid(body);
          if (details) return error(422, 'Unprocessable Entity', 'validation_errors', details);
          if (organization.keys.length >= 100) return error(422, 'Unprocessable Entity', 'api_key_limit_reached');
          const key = this.key(organization.id, {
            name: body.name?.trim() || null,
            permissions: body.permissions ?? fullPermissions(),
            allowed_ips: body.allowed_ips ?? null,
          });
          const hours: Record<string, number> = { '1h': 1, '24h': 24, '48h': 48, '7d': 168, '30d': 720, '90d': 2160, '365d': 8760 };
          if (body.expires_in) key.expires_at = new Date(Date.now() + hours[body.expires_in]! * 3_600_000).toISOString();
          if (body.expires_at) key.expires_at = body.expires_at;
          if (key.expires_at) key.expiry_source = 'request';
          this.audit(organization, 'api_key.created', key, email);
          return withKey(key, { api_key: { ...publicKey(key), value: key.value } }, 201);
        }),
      ),
      http.get(
        `${keys}/:api_key_id`,
        admin(({ request, organization, params }) => {
          const { key, response } = keyed(request, organization, params.api_key_id!);
          return key ? withKey(key, { api_key: publicKey(key) }) : response;
        }),
      ),
      http.patch(
        `${keys}/:api_key_id`,
        admin(async ({ request, organization, params, email }) => {
          const { key, response } = keyed(request, organization, params.api_key_id!);
          if (!key) return response;
          const body = (await request.json()) as {
            name?: string | null;
            permissions?: Permissions;
            allowed_ips?: string[] | null;
            expires_at?: string | null;
          };
          const details = this.invalid(body);
          if (details) return error(422, 'Unprocessable Entity', 'validation_errors', details);
          if (key.expiry_source === 'rotation') return error(422, 'Unprocessable Entity', 'rotation_already_scheduled');
          if (body.name !== undefined) key.name = body.name?.trim() || null;
          if (body.permissions !== undefined) key.permissions = body.permissions;
          if (body.allowed_ips !== undefined) key.allowed_ips = body.allowed_ips;
          if (body.expires_at !== undefined) {
            key.expires_at = body.expires_at;
            key.expiry_source = body.expires_at === null ? null : 'request';
          }
          key.version++;
          this.audit(organization, 'api_key.updated', key, email);
          return withKey(key, { api_key: publicKey(key) });
        }),
      ),
      http.post(
        `${keys}/:api_key_id/reveal`,
        admin(({ request, organization, params, email }) => {
          const { key, response } = keyed(request, organization, params.api_key_id!);
          if (!key) return response;
          this.audit(organization, 'api_key.revealed', key, email);
          return withKey(key, { api_key: { ...publicKey(key), value: key.value } });
        }),
      ),
      http.post(
        `${keys}/:api_key_id/rotate`,
        admin(async ({ request, organization, params, email }) => {
          const { key, response } = keyed(request, organization, params.api_key_id!);
          if (!key) return response;
          const { expires_in = 'now' } = (await request.json()) as { expires_in?: string };
          if (key.expiry_source === 'rotation') return error(422, 'Unprocessable Entity', 'rotation_already_scheduled');
          if (key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()) {
            return error(422, 'Unprocessable Entity', 'validation_errors', { expires_at: ['the key has already expired'] });
          }
          const hours = { now: 0, '1h': 1, '24h': 24, '48h': 48, '7d': 168 }[expires_in];
          if (hours === undefined)
            return error(422, 'Unprocessable Entity', 'validation_errors', { expires_in: ['must be one of now, 1h, 24h, 48h, 7d'] });
          const next = this.key(organization.id, {
            name: key.name,
            permissions: key.permissions,
            allowed_ips: key.allowed_ips,
            created_at: new Date().toISOString(),
          });
          const expiresAt = new Date(Date.now() + hours * 3_600_000).toISOString();
          if (hours === 0) organization.keys.splice(organization.keys.indexOf(key), 1);
          else {
            key.expires_at = expiresAt;
            key.expiry_source = 'rotation';
            key.version++;
          }
          this.audit(organization, 'api_key.rotated', key, email, { new_api_key_id: next.id, expires_at: expiresAt });
          return withKey(next, {
            api_key: { ...publicKey(next), value: next.value },
            rotated_api_key: { ...publicKey(key), expires_at: expiresAt, expiry_source: 'rotation' },
          });
        }),
      ),
      http.delete(
        `${keys}/:api_key_id`,
        admin(({ request, organization, params, email }) => {
          const { key, response } = keyed(request, organization, params.api_key_id!);
          if (!key) return response;
          const othersWithoutExpiry = organization.keys.filter((candidate) => candidate !== key && nonExpiring(candidate));
          if (nonExpiring(key) && othersWithoutExpiry.length === 0) {
            return error(422, 'Unprocessable Entity', 'last_non_expiring_api_key');
          }
          organization.keys.splice(organization.keys.indexOf(key), 1);
          this.audit(organization, 'api_key.deleted', key, email);
          return withKey(key, { api_key: publicKey(key) });
        }),
      ),
      http.get(
        `${API}/v1/organizations/:organization_id/audit_events`,
        admin(({ request, organization }) => {
          const url = new URL(request.url);
          const limit = Number(url.searchParams.get('limit') ?? 100);
          const start = Number(url.searchParams.get('cursor') ?? 0);
          const page = organization.events.slice(start, start + limit);
          const next = start + limit < organization.events.length ? String(start + limit) : null;
          return HttpResponse.json({ audit_events: page, meta: { next_cursor: next } });
        }),
      ),
    ];
  }
}

/**
 * The issuer's side of authorization code + PKCE, for the sign-in tests: discovery, and a token
 * endpoint that hands out `email`'s ID token for the code it issued, only with the right verifier.
 */
export class FakeIssuer {
  private codes = new Map<string, { email: string; challenge: string; redirectUri: string }>();
  readonly tokenRequests: URLSearchParams[] = [];

  /** What the issuer does after its sign-in page: a code bound to the request's PKCE challenge. */
  issueCode(authorizeUrl: string, email: string): string {
    const url = new URL(authorizeUrl);
    const code = `code-${Math.random().toString(36).slice(2)}`;
    this.codes.set(code, {
      email,
      challenge: url.searchParams.get('code_challenge')!,
      redirectUri: url.searchParams.get('redirect_uri')!,
    });
    return `${url.searchParams.get('redirect_uri')}?code=${code}&state=${url.searchParams.get('state')}`;
  }

  handlers() {
    return [
      http.get(`${ISSUER}/.well-known/openid-configuration`, () =>
        HttpResponse.json({
          issuer: ISSUER,
          authorization_endpoint: `${ISSUER}/authorize`,
          token_endpoint: `${ISSUER}/token`,
          jwks_uri: `${ISSUER}/.well-known/jwks.json`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }),
      ),
      http.post(`${ISSUER}/token`, async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        this.tokenRequests.push(form);
        const grant = this.codes.get(form.get('code') ?? '');
        this.codes.delete(form.get('code') ?? '');
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(form.get('code_verifier') ?? ''));
        const challenge = btoa(String.fromCharCode(...new Uint8Array(digest)))
          .replace(/=+$/, '')
          .replace(/\+/g, '-')
          .replace(/\//g, '_');
        if (!grant || grant.challenge !== challenge || grant.redirectUri !== form.get('redirect_uri')) {
          return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 });
        }
        return HttpResponse.json({ id_token: idToken(grant.email), token_type: 'Bearer', expires_in: 3600 });
      }),
    ];
  }
}
