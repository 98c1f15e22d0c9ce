import { logger } from '../../../lambdas/observability/logger';
import type { ManagementHandler } from '../../../lambdas/operations/stack';
import { lambdaContext, restProxyEvent } from '../../support/api-gateway-events';

/** CORS for the admin console (AWS): only its origin may read answers, ETag included, errors too. */

const CONSOLE = 'https://d111111abcdef8.cloudfront.net';

function handlers(origins = CONSOLE): { ok: ManagementHandler; failing: ManagementHandler } {
  let loaded: { ok: ManagementHandler; failing: ManagementHandler } | undefined;
  // The origin is read once, when the module loads (as at a cold start).
  process.env.CONSOLE_ORIGIN = origins;
  jest.isolateModules(() => {
    const { managementHandler } = require('../../../lambdas/operations/stack') as typeof import('../../../lambdas/operations/stack');
    const { ok } = require('../../../lambdas/http/responses') as typeof import('../../../lambdas/http/responses');
    const { ApiKeyNotFound } = require('../../../lambdas/domain/errors') as typeof import('../../../lambdas/domain/errors');
    loaded = {
      ok: managementHandler({ auth: 'public' }, async () => ok({ ok: true }, { version: 3 })),
      failing: managementHandler({ auth: 'public' }, async () => {
        throw new ApiKeyNotFound();
      }),
    };
  });
  delete process.env.CONSOLE_ORIGIN;
  return loaded!;
}

const call = (handler: ManagementHandler, origin: string) =>
  handler(restProxyEvent({ method: 'GET', resource: '/openapi.json', headers: { Origin: origin } }), lambdaContext());

beforeEach(() => {
  jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe("CORS for the console's origin", () => {
  it('lets the console read answers and their ETag, errors included', async () => {
    const { ok, failing } = handlers();
    const answer = await call(ok, CONSOLE);
    expect(answer.headers).toMatchObject({ 'Access-Control-Allow-Origin': CONSOLE, 'Access-Control-Expose-Headers': 'ETag', etag: '"3"' });
    const error = await call(failing, CONSOLE);
    expect(error.statusCode).toBe(404);
    expect(error.headers).toMatchObject({ 'Access-Control-Allow-Origin': CONSOLE });
  });

  it('allows no other origin', async () => {
    const { ok } = handlers();
    const answer = await call(ok, 'https://evil.example');
    expect(answer.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it("allows each of the stage's console origins (CONSOLE_ORIGIN is a comma-separated list), answering the caller's, and no other", async () => {
    const { ok } = handlers(`${CONSOLE}, https://keys.example.com,http://localhost:5173`);
    for (const origin of [CONSOLE, 'https://keys.example.com', 'http://localhost:5173']) {
      expect((await call(ok, origin)).headers?.['Access-Control-Allow-Origin']).toBe(origin);
    }
    expect((await call(ok, 'https://evil.example')).headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
