import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import serveStatic from 'serve-static';
import { consolePagePolicy } from '../lib/console-page-policy';

/**
 * The admin console on the local gateway (API.md §7): the built SPA (`console/dist`) under
 * `/console/`, and its run-time settings at `/console/config.json`, pointing it at this gateway's
 * management API and the dev issuer. Files are served by serve-static (no path traversal, no dot
 * files, content types from the extension) with the same security headers CloudFront adds on AWS
 * (lib/constructs/admin-console.ts), except HSTS, which browsers ignore over plain HTTP.
 */

/** Where the console lives on the gateway. */
export const CONSOLE_PATH = '/console/';

/** What `config.json` carries (console/src/config.ts reads it). */
export interface ConsoleRuntimeConfig {
  authority: string;
  client_id: string;
  redirect_uri: string;
  api_base_url: string;
}

export interface ConsoleSiteOptions {
  /** The built console (`console/dist`). */
  distDir: string;
  config: ConsoleRuntimeConfig;
  /** Why the console is not available, when its build failed; shown instead of the app. */
  unavailable?: () => string | undefined;
}

/** Answers the request if it is the console's; returns false otherwise. */
export type ConsoleSite = (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;

/** The API and the dev issuer are on the gateway itself: `connect-src 'self'` covers both. */
export const LOCAL_CONTENT_SECURITY_POLICY = consolePagePolicy();

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': LOCAL_CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

function withSecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
}

export function createConsoleSite({ distDir, config, unavailable }: ConsoleSiteOptions): ConsoleSite {
  const files = serveStatic(distDir, {
    index: ['index.html'],
    dotfiles: 'deny',
    fallthrough: true,
    redirect: false,
    setHeaders(response, path) {
      // Vite names assets by content hash: they never change. index.html must be re-read to pick up a new build.
      response.setHeader('cache-control', path.includes(`${join(distDir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const configBody = JSON.stringify(config);

  function page(response: ServerResponse, status: number, title: string, text: string): void {
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1><p>${text}</p></main></body></html>\n`,
    );
  }

  /** The SPA fallback: any other page under /console/ is the app (its routes are in the hash). */
  function serveIndex(request: IncomingMessage, response: ServerResponse): void {
    request.url = '/';
    files(request as never, response as never, () => page(response, 404, 'Not found', 'The console has not been built.'));
  }

  return async (request, response, path) => {
    if (path !== CONSOLE_PATH.slice(0, -1) && !path.startsWith(CONSOLE_PATH)) return false;
    withSecurityHeaders(response);
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Method Not Allowed\n');
      return true;
    }
    if (path === CONSOLE_PATH.slice(0, -1)) {
      response.writeHead(308, { location: CONSOLE_PATH });
      response.end();
      return true;
    }
    const problem = unavailable?.() ?? (existsSync(join(distDir, 'index.html')) ? undefined : 'console/dist is missing.');
    if (problem) {
      page(response, 503, 'The console is not available', `${problem} Run <code>npm run console:build</code>, then reload.`);
      return true;
    }
    if (path === `${CONSOLE_PATH}config.json`) {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(method === 'HEAD' ? undefined : configBody);
      return true;
    }
    // serve-static resolves the path under distDir itself, refusing `..` and NUL; it sees the path without /console.
    const query = request.url?.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    request.url = path.slice(CONSOLE_PATH.length - 1) + query;
    await new Promise<void>((resolve) => {
      response.once('finish', resolve);
      response.once('close', resolve);
      files(request as never, response as never, (error?: unknown) => {
        if (error && (error as { status?: number }).status === 403) page(response, 403, 'Forbidden', 'This file is not served.');
        // A missing file (`/console/assets/gone.js`) is a 404; any other path is one of the app's pages.
        else if (/\.[A-Za-z0-9]+$/.test(path)) page(response, 404, 'Not found', 'There is no such file in the console.');
        else serveIndex(request, response);
      });
    });
    return true;
  };
}
