import {
  AdminRoleRequired,
  ApiKeyLimitReached,
  ApiKeyNotFound,
  type DomainError,
  InvalidJson,
  LastNonExpiringApiKey,
  OrganizationAlreadyExists,
  OrganizationNotFound,
  PayloadTooLarge,
  RotationAlreadyScheduled,
  Unauthenticated,
  ValidationFailed,
} from '../../../lambdas/domain/errors';
import { MAX_BODY_BYTES } from '../../../lambdas/http/body';
import { ok } from '../../../lambdas/http/responses';
import { logger } from '../../../lambdas/observability/logger';
import { apiKeyIdOf, type ManagementHandlerOptions, type ManagementRequest, managementHandler } from '../../../lambdas/operations/stack';
import { type AdminAuthorizerContext, lambdaContext, parseResult, restProxyEvent } from '../../support/api-gateway-events';

const RESOURCE = '/v1/organizations/{organization_id}/api_keys/{api_key_id}';
const ADMIN = { email: 'Admin@Acme.test', role: 'admin' } as const;

function event(
  overrides: { body?: unknown; base64?: boolean; authorizer?: AdminAuthorizerContext | null; headers?: Record<string, string> } = {},
) {
  return restProxyEvent({
    method: 'POST',
    resource: RESOURCE,
    pathParameters: { organization_id: 'acme', api_key_id: '01JKEY' },
    authorizer: ADMIN,
    ...overrides,
  });
}

/** A route that records what the stack handed it and answers 200. */
function recordingHandler(options: Partial<ManagementHandlerOptions> = { jsonBody: true }) {
  const seen: ManagementRequest[] = [];
  const handler = managementHandler({ auth: 'organization-admin', ...options }, async (request) => {
    seen.push(request);
    return ok({ ok: true });
  });
  return { handler, seen };
}

const throwing = (error: unknown) =>
  managementHandler({ auth: 'organization-admin', jsonBody: true }, async () => {
    throw error;
  });

let errorLog: jest.SpyInstance;
beforeEach(() => {
  errorLog = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('error mapping', () => {
  it.each<[DomainError, number, string, string]>([
    [new ApiKeyNotFound(), 404, 'Not Found', 'api_key_not_found'],
    [new OrganizationNotFound(), 404, 'Not Found', 'organization_not_found'],
    [new AdminRoleRequired(), 403, 'Forbidden', 'admin_role_required'],
    [new LastNonExpiringApiKey(), 422, 'Unprocessable Entity', 'last_non_expiring_api_key'],
    [new RotationAlreadyScheduled(), 422, 'Unprocessable Entity', 'rotation_already_scheduled'],
    [new ApiKeyLimitReached(), 422, 'Unprocessable Entity', 'api_key_limit_reached'],
    [new OrganizationAlreadyExists(), 422, 'Unprocessable Entity', 'organization_already_exists'],
    [new InvalidJson(), 400, 'Bad Request', 'invalid_json'],
    [new PayloadTooLarge(), 413, 'Payload Too Large', 'request_too_large'],
  ])('maps %p to %i with its reason phrase and code', async (error, status, reason, code) => {
    const result = parseResult(await throwing(error)(event(), lambdaContext()));
    expect(result.statusCode).toBe(status);
    expect(result.body).toEqual({ status, error: reason, code });
    expect(result.headers['content-type']).toMatch(/^application\/json/);
  });

  it('adds error_details to validation errors', async () => {
    const result = parseResult(
      await throwing(new ValidationFailed({ name: ['must be at most 100 characters'] }))(event(), lambdaContext()),
    );
    expect(result.statusCode).toBe(422);
    expect(result.body).toEqual({
      status: 422,
      error: 'Unprocessable Entity',
      code: 'validation_errors',
      error_details: { name: ['must be at most 100 characters'] },
    });
  });

  it('answers 401 with exactly the bare Unauthorized body', async () => {
    const result = await throwing(new Unauthenticated('jwt expired'))(event(), lambdaContext());
    expect(result.statusCode).toBe(401);
    expect(result.body).toBe('{"status":401,"error":"Unauthorized"}');
  });

  it('hides an unexpected error behind a bare 500 and logs it', async () => {
    const secretish = new Error('ConditionalCheckFailed on table keyward-prod at line 42');
    const result = await throwing(secretish)(event(), lambdaContext());
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ status: 500, error: 'Internal Server Error', code: 'internal_error' });
    expect(result.body).not.toMatch(/keyward-prod|line 42|stack|at /);
    expect(errorLog).toHaveBeenCalledWith('unexpected error', { organization_id: 'acme', api_key_id: '01JKEY', error: secretish });
  });

  it('hides a thrown non-Error value behind a 500 too', async () => {
    const result = parseResult(await throwing('boom')(event(), lambdaContext()));
    expect(result.statusCode).toBe(500);
    expect(result.body).toEqual({ status: 500, error: 'Internal Server Error', code: 'internal_error' });
  });
});

describe('admin identity', () => {
  it('passes an admin through as a user actor with a lower-cased email', async () => {
    const { handler, seen } = recordingHandler();
    const result = await handler(event(), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(seen[0]).toMatchObject({ actor: { type: 'user', email: 'admin@acme.test' } });
  });

  it.each(['admin', 'member', 'none'])('lets any verified caller (role %s) through to an `admin` operation', async (role) => {
    const { handler, seen } = recordingHandler({ auth: 'admin' });
    const result = await handler(event({ authorizer: { email: 'Someone@Acme.test', role } }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(seen[0]!.actor).toEqual({ type: 'user', email: 'someone@acme.test' });
  });

  it.each<[string, AdminAuthorizerContext | null]>([
    ['no authorizer context', null],
    ['a role without an email', { role: 'none' }],
    ['a role it does not know', { email: 'a@acme.test', role: 'owner' }],
  ])('refuses %s on an `admin` operation with the bare 401', async (_, authorizer) => {
    const { handler, seen } = recordingHandler({ auth: 'admin' });
    const result = parseResult(await handler(event({ authorizer }), lambdaContext()));
    expect(result).toMatchObject({ statusCode: 401, body: { status: 401, error: 'Unauthorized' } });
    expect(seen).toHaveLength(0);
  });

  it('runs a `public` operation without any authorizer context, with no actor', async () => {
    const { handler, seen } = recordingHandler({ auth: 'public', jsonBody: false });
    const result = await handler(event({ authorizer: null }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(seen[0]!.actor).toBeUndefined();
  });

  it.each<[string, AdminAuthorizerContext | null, number, Record<string, unknown>]>([
    ['a member', { email: 'm@acme.test', role: 'member' }, 403, { status: 403, error: 'Forbidden', code: 'admin_role_required' }],
    ['a non-member', { email: 'x@other.test', role: 'none' }, 404, { status: 404, error: 'Not Found', code: 'organization_not_found' }],
    ['an admin role without an email', { role: 'admin' }, 401, { status: 401, error: 'Unauthorized' }],
    ['a blank email', { email: '  ', role: 'admin' }, 401, { status: 401, error: 'Unauthorized' }],
    ['a role it does not know', { email: 'a@acme.test', role: 'owner' }, 401, { status: 401, error: 'Unauthorized' }],
    ['no authorizer context at all', null, 401, { status: 401, error: 'Unauthorized' }],
  ])('refuses %s', async (_, authorizer, status, body) => {
    const { handler, seen } = recordingHandler();
    const result = parseResult(await handler(event({ authorizer }), lambdaContext()));
    expect(result.statusCode).toBe(status);
    expect(result.body).toEqual(body);
    expect(seen).toHaveLength(0);
  });

  it('checks the caller before it looks at the body', async () => {
    const { handler } = recordingHandler();
    const result = parseResult(
      await handler(event({ body: 'not json', authorizer: { email: 'm@acme.test', role: 'member' } }), lambdaContext()),
    );
    expect(result.statusCode).toBe(403);
  });
});

describe('request body', () => {
  it('parses a JSON body', async () => {
    const { handler, seen } = recordingHandler();
    await handler(event({ body: { name: 'ci' } }), lambdaContext());
    expect(seen[0]!.body).toEqual({ name: 'ci' });
  });

  it.each([
    ['no body', undefined],
    ['an empty body', ''],
    ['a blank body', ' \n '],
  ])('treats %s as {}', async (_, body) => {
    const { handler, seen } = recordingHandler();
    const result = await handler(event({ body }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(seen[0]!.body).toEqual({});
  });

  it.each(['null', '[]', '[{"name":"ci"}]', '"text"', '42', 'true', 'false'])(
    'answers 422 for JSON %s, which is not an object, before the route runs',
    async (body) => {
      const { handler, seen } = recordingHandler();
      const result = parseResult(await handler(event({ body }), lambdaContext()));
      expect(result.statusCode).toBe(422);
      expect(result.body).toEqual({
        status: 422,
        error: 'Unprocessable Entity',
        code: 'validation_errors',
        error_details: { body: ['must be a JSON object'] },
      });
      expect(seen).toHaveLength(0);
    },
  );

  it('answers 400 invalid_json for a body that is not JSON', async () => {
    const { handler, seen } = recordingHandler();
    const result = parseResult(await handler(event({ body: '{"name": ' }), lambdaContext()));
    expect(result.statusCode).toBe(400);
    expect(result.body).toEqual({ status: 400, error: 'Bad Request', code: 'invalid_json' });
    expect(seen).toHaveLength(0);
  });

  it('decodes a base64-encoded body', async () => {
    const { handler, seen } = recordingHandler();
    await handler(event({ body: { name: 'clé ✓' }, base64: true }), lambdaContext());
    expect(seen[0]!.body).toEqual({ name: 'clé ✓' });
  });

  it('accepts a body of exactly 16 KiB', async () => {
    const { handler } = recordingHandler();
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES - 11) });
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect((await handler(event({ body }), lambdaContext())).statusCode).toBe(200);
  });

  it.each([
    ['plain', false],
    ['base64-encoded', true],
  ])('answers 413 request_too_large for a %s body over 16 KiB', async (_, base64) => {
    const { handler, seen } = recordingHandler();
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) });
    const result = parseResult(await handler(event({ body, base64 }), lambdaContext()));
    expect(result.statusCode).toBe(413);
    expect(result.body).toEqual({ status: 413, error: 'Payload Too Large', code: 'request_too_large' });
    expect(seen).toHaveLength(0);
  });

  it('counts bytes, not characters', async () => {
    const { handler } = recordingHandler();
    const body = JSON.stringify({ name: '€'.repeat(6000) });
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect((await handler(event({ body }), lambdaContext())).statusCode).toBe(413);
  });

  it('still refuses an oversized body on a route that does not parse one', async () => {
    const { handler } = recordingHandler({});
    const result = await handler(event({ body: 'x'.repeat(MAX_BODY_BYTES + 1) }), lambdaContext());
    expect(result.statusCode).toBe(413);
  });

  it('ignores the body on a route that does not take one', async () => {
    const { handler, seen } = recordingHandler({});
    const result = await handler(event({ body: 'not json' }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(seen[0]!.body).toEqual({});
  });
});

describe('headers', () => {
  it('normalizes header names to lower case', async () => {
    const { handler, seen } = recordingHandler();
    await handler(event({ headers: { 'X-Request-Trace': 'abc' } }), lambdaContext());
    expect(seen[0]!.event.headers['x-request-trace']).toBe('abc');
  });
});

describe('apiKeyIdOf', () => {
  it('returns a well-formed id', () => {
    expect(apiKeyIdOf(event())).toBe('01JKEY');
  });

  it.each(['', 'a/b', 'x'.repeat(65), "01J' OR 1=1", '__proto__', '%ZZ', 'é'])('treats %p as an unknown key', (id) => {
    const bad = restProxyEvent({ method: 'GET', resource: RESOURCE, pathParameters: { organization_id: 'acme', api_key_id: id } });
    expect(() => apiKeyIdOf(bad)).toThrow(ApiKeyNotFound);
  });
});

describe('responses', () => {
  it('marks responses carrying a token no-store', () => {
    expect(ok({}, { noStore: true }).headers).toMatchObject({ 'cache-control': 'no-store' });
    expect(ok({}).headers).not.toHaveProperty('cache-control');
  });
});
