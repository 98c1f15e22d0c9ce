import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsoleSite } from '../../../local/console-site';

/** The console's static files on the local gateway: safe paths, right types, the page policy, the SPA fallback. */

const root = mkdtempSync(join(tmpdir(), 'keyward-console-site-'));
const dist = join(root, 'dist');
mkdirSync(join(dist, 'assets'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(dist, 'assets', 'index-abc.css'), 'body{}');
writeFileSync(join(dist, '.secret'), 'dot file');
// The build's manifest (console/scripts/bundle-size.ts reads it): bookkeeping, not part of the app.
mkdirSync(join(dist, '.vite'));
writeFileSync(join(dist, '.vite', 'manifest.json'), '{"in a dot file":true}');
writeFileSync(join(root, 'outside.txt'), 'outside the console');

const config = {
  authority: 'http://127.0.0.1:1/local-issuer',
  client_id: 'keyward-local',
  redirect_uri: 'http://127.0.0.1:1/console/',
  api_base_url: 'http://127.0.0.1:1',
};
let problem: string | undefined;
const site = createConsoleSite({ distDir: dist, config, unavailable: () => problem });
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((request, response) => {
    // The path as sent, not normalized (the gateway resolves dot segments first; the site must not rely on it).
    const path = (request.url ?? '/').split('?')[0]!;
    void site(request, response, path).then((owned) => {
      if (!owned) {
        response.writeHead(418);
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  problem = undefined;
});

/** A raw request, so the path reaches the server exactly as written (fetch would normalize `..`). */
function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the console on the local gateway', () => {
  it('serves index.html at /console/ with the page policy and security headers, and redirects /console there', async () => {
    const page = await get('/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(page.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(await get('/console')).toMatchObject({ status: 308, headers: { location: '/console/' } });
  });

  it('serves assets with their content types, cached for good (their names carry their hash)', async () => {
    const script = await get('/console/assets/index-abc.js');
    expect(script).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['cache-control']).toMatch(/immutable/);
    expect((await get('/console/assets/index-abc.css')).headers['content-type']).toMatch(/^text\/css/);
  });

  it('answers config.json with the settings the stack gives', async () => {
    const answer = await get('/console/config.json');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual(config);
  });

  it.each([
    '/console/../outside.txt',
    '/console/%2e%2e/outside.txt',
    '/console/..%2foutside.txt',
    '/console/.secret',
    '/console/.vite/manifest.json',
    '/console/assets/%00.js',
  ])('never serves a file outside the build, nor a dot file: %s', async (path) => {
    const answer = await get(path);
    expect(answer.body).not.toMatch(/outside the console|dot file/);
    expect([403, 404]).toContain(answer.status);
  });

  it('answers other app paths with index.html, a missing file with 404, and other methods with 405', async () => {
    expect(await get('/console/organizations/demo')).toMatchObject({ status: 200, body: '<!doctype html><title>console</title>' });
    expect((await get('/console/assets/gone.js')).status).toBe(404);
    expect((await get('/console/', 'POST')).status).toBe(405);
    expect((await get('/v1/me')).status).toBe(418);
  });

  it('explains why the console is unavailable instead of serving it', async () => {
    problem = 'Its build failed (boom).';
    const answer = await get('/console/');
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('Its build failed (boom).');
  });
});
