import { z } from 'zod';
import { logger } from '../../../lambdas/observability/logger';
import type { Operation } from '../../../lambdas/operations/manifest';
import { operationHandler } from '../../../lambdas/operations/operation';
import { lambdaContext, parseResult, restProxyEvent } from '../../support/api-gateway-events';

const KEY_PATH = '/v1/organizations/{organization_id}/api_keys/{api_key_id}';

/** A row like the manifest's, with every option on. */
const ROW = {
  method: 'PATCH',
  path: KEY_PATH,
  summary: 'A test operation',
  auth: 'organization-admin',
  body: (catalog: readonly string[]) => z.strictObject({ resource: z.enum(catalog as [string, ...string[]]) }),
  query: z.object({ page: z.string().optional() }),
  status: 201,
  response: z.object({ echoed: z.string() }),
  etag: true,
  ifMatch: true,
  noStore: true,
  table: [],
} as const satisfies Operation;

function event(input: { apiKeyId?: string; ifMatch?: string; body?: unknown; query?: Record<string, string> } = {}) {
  return restProxyEvent({
    method: 'PATCH',
    resource: KEY_PATH,
    pathParameters: { organization_id: 'acme', api_key_id: input.apiKeyId ?? '01JKEY' },
    headers: input.ifMatch === undefined ? {} : { 'If-Match': input.ifMatch },
    query: input.query,
    body: input.body ?? { resource: 'customer' },
    authorizer: { email: 'admin@acme.test', role: 'admin' },
  });
}

beforeEach(() => jest.spyOn(logger, 'info').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

describe('an operation handler built from its manifest row', () => {
  const seen: unknown[] = [];
  const handler = operationHandler(ROW, { catalog: ['customer'] }, async (request) => {
    seen.push(request);
    return { body: { echoed: `${request.params.organization_id}/${request.params.api_key_id}/${request.body.resource}` }, version: 7 };
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('hands the handler its parsed path, If-Match, body (against the catalog) and query', async () => {
    await handler(event({ ifMatch: '"3", "4"', query: { page: '2', other: 'x' } }), lambdaContext());
    expect(seen[0]).toMatchObject({
      actor: { type: 'user', email: 'admin@acme.test' },
      params: { organization_id: 'acme', api_key_id: '01JKEY' },
      expected: [3, 4],
      body: { resource: 'customer' },
      query: { page: '2' },
    });
  });

  it("answers with the row's status, the version as ETag, and no-store", async () => {
    const result = parseResult(await handler(event(), lambdaContext()));
    expect(result).toMatchObject({ statusCode: 201, body: { echoed: 'acme/01JKEY/customer' } });
    expect(result.headers).toMatchObject({ etag: '"7"', 'cache-control': 'no-store' });
  });

  it('checks the key id first, then the body, each before the handler runs; a malformed If-Match waits for the key to be found', async () => {
    const bad = { apiKeyId: 'not a key', ifMatch: '3', body: { resource: 'plan' } };
    const codes = [];
    for (const input of [bad, { ...bad, apiKeyId: undefined }]) {
      const result = parseResult<{ code: string; error_details?: Record<string, string[]> }>(await handler(event(input), lambdaContext()));
      codes.push([result.statusCode, result.body.code, Object.keys(result.body.error_details ?? {})]);
    }
    expect(codes).toEqual([
      [404, 'api_key_not_found', []],
      [422, 'validation_errors', ['resource']],
    ]);
    expect(seen).toEqual([]);
    // An unknown key is 404 whatever If-Match says (API.md §3 Limits): the service throws the
    // If-Match refusal (checkVersion) only once it has read the key.
    await handler(event({ ifMatch: '3' }), lambdaContext());
    expect(seen[0]).toMatchObject({ expected: { invalid: { details: { 'If-Match': [expect.any(String)] } } } });
  });

  it('reads no If-Match, body or query where the row has none', async () => {
    const plain = { ...ROW, body: undefined, query: undefined, ifMatch: undefined, etag: undefined } as unknown as Operation;
    const requests: unknown[] = [];
    const get = operationHandler(plain, { catalog: [] }, async (request) => {
      requests.push(request);
      return { body: { echoed: '' } };
    });
    const result = await get(event({ ifMatch: 'not a tag', body: 'not json', query: { page: '1' } }), lambdaContext());
    expect(result.statusCode).toBe(201);
    expect(result.headers).not.toHaveProperty('etag');
    expect(requests[0]).toMatchObject({ expected: undefined, body: undefined, query: undefined });
  });

  it('refuses, when it is built, a path parameter it has no check for', () => {
    const odd = { ...ROW, path: '/v1/things/{thing_id}' } as const satisfies Operation;
    expect(() => operationHandler(odd, { catalog: [] }, async () => ({ body: { echoed: '' }, version: 1 }))).toThrow(
      'no check for path parameter {thing_id} of PATCH /v1/things/{thing_id}',
    );
  });
});
