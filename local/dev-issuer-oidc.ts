import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isEmailAddress } from '../lambdas/domain/text';
import { type DevIssuer, JWKS_PATH } from './dev-issuer';

/**
 * The dev issuer's OpenID Connect endpoints (local only), so that the console signs in locally
 * exactly as it does against Cognito: authorization code + PKCE (S256). The sign-in page asks
 * for an email and the state directory's sign-in code (API.md §6), no password: the loopback
 * gateway is open to every user of the machine, but only who can read the state directory (and
 * so could mint tokens with `keyward token` anyway) knows the code. The ID token is the one
 * `keyward token` prints (DevIssuer.mint).
 *
 *   GET  <issuer>/.well-known/openid-configuration   discovery
 *   GET  <issuer>/authorize                           the sign-in page (textboxes Email and Sign-in code, button Sign in)
 *   POST <issuer>/authorize                           issues a one-time code, redirects back
 *   POST <issuer>/token                               code + code_verifier → ID token
 *
 * The pages carry no script and no style, and are served with a CSP that allows none.
 */
export interface DevIssuerOidcOptions {
  issuer: DevIssuer;
  /** Where the browser may be sent back (the console's URL). Exact matches only. */
  redirectUris: readonly string[];
  /** The state directory's sign-in code (state.ts), which the page asks for next to the email. */
  signInCode: string;
  /** @default Date.now */
  now?: () => number;
  /** How long a code may wait for its exchange. @default 60 s */
  codeTtlMs?: number;
}

/** Answers the request if it is one of the issuer's OIDC paths; returns false otherwise. */
export type DevIssuerOidcHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

interface Grant {
  email: string;
  redirectUri: string;
  challenge: string;
  expiresAt: number;
}

/** RFC 7636: 43–128 characters of the unreserved set. */
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;
const MAX_BODY_BYTES = 16 * 1024;
/** Codes waiting for their exchange, at most; a flood of sign-in posts cannot grow memory. */
const MAX_PENDING_CODES = 1000;
/** The ID token's lifetime, as `mint` sets it by default (12 h). */
const ID_TOKEN_SECONDS = 12 * 60 * 60;

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      reject(new BadRequest('expected application/x-www-form-urlencoded'));
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Answer at once and discard the rest, so the client reads the answer rather than a reset.
        reject(new BadRequest('body too large', 413));
        request.removeAllListeners('data');
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** As typed: case, spaces and dashes do not matter. */
const normalizeCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

/** Compared in constant time (digests of equal length), so the answer times reveal nothing of the code. */
function sameCode(given: string, expected: string): boolean {
  const digest = (code: string) => createHash('sha256').update(normalizeCode(code)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function createDevIssuerOidc({
  issuer,
  redirectUris,
  signInCode,
  now = Date.now,
  codeTtlMs = 60_000,
}: DevIssuerOidcOptions): DevIssuerOidcHandler {
  if (normalizeCode(signInCode).length < 16) throw new Error('the dev issuer needs the state directory sign-in code');
  const base = new URL(issuer.issuer).pathname.replace(/\/$/, '');
  const clientId = issuer.audience;
  const allowedOrigins = new Set(redirectUris.map((uri) => new URL(uri).origin));
  const grants = new Map<string, Grant>();

  const discovery = {
    issuer: issuer.issuer,
    authorization_endpoint: `${issuer.issuer}/authorize`,
    token_endpoint: `${issuer.issuer}/token`,
    jwks_uri: `${issuer.issuer}${JWKS_PATH}`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    scopes_supported: ['openid', 'email'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'email', 'email_verified'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
  };

  function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    response.end(JSON.stringify(body));
  }

  function html(response: ServerResponse, status: number, body: string, formTarget?: string) {
    response.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // No script, no style, no framing; the form may post here and be redirected to the console.
      'content-security-policy': `default-src 'none'; form-action 'self'${formTarget ? ` ${formTarget}` : ''}; frame-ancestors 'none'; base-uri 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    response.end(
      `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>keyward dev sign-in</title></head>\n<body>\n${body}\n</body>\n</html>\n`,
    );
  }

  /**
   * The request's client and redirect URI, checked before anything else: a wrong one gets an
   * error page, never a redirect (which would make the issuer an open redirector).
   */
  function client(params: URLSearchParams): { redirectUri: string } | { problem: string } {
    if (params.get('client_id') !== clientId) return { problem: `unknown client_id (this issuer serves "${clientId}")` };
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!redirectUris.includes(redirectUri)) return { problem: 'redirect_uri is not registered with the dev issuer' };
    return { redirectUri };
  }

  /** What is wrong with an otherwise well-addressed authorization request, per OAuth 2.0 and PKCE. */
  function requestProblem(params: URLSearchParams): { error: string; description: string } | undefined {
    if (params.get('response_type') !== 'code') return { error: 'unsupported_response_type', description: 'only response_type=code' };
    if (!(params.get('scope') ?? '').split(' ').includes('openid'))
      return { error: 'invalid_scope', description: 'scope must include openid' };
    if (params.get('code_challenge_method') !== 'S256' || !PKCE_VALUE.test(params.get('code_challenge') ?? '')) {
      return { error: 'invalid_request', description: 'PKCE with code_challenge_method=S256 is required' };
    }
    // `mint` cannot echo a nonce, and PKCE already binds the code to this browser.
    if (params.has('nonce')) return { error: 'invalid_request', description: 'nonce is not supported by the dev issuer' };
    return undefined;
  }

  function backToClient(response: ServerResponse, redirectUri: string, params: Record<string, string>, state: string | null) {
    const target = new URL(redirectUri);
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
    if (state !== null) target.searchParams.set('state', state);
    response.writeHead(303, { location: target.href, 'cache-control': 'no-store' });
    response.end();
  }

  /** Which field a refused sign-in names, and why. */
  type Problem = { field: 'email' | 'code'; message: string };

  function signInPage(params: URLSearchParams, email = '', problem?: Problem): string {
    const carried = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']
      .filter((name) => params.has(name))
      .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name)!)}">`)
      .join('\n');
    const invalid = (field: Problem['field']) => (problem?.field === field ? ` aria-invalid="true" aria-describedby="${field}-error"` : '');
    const error = (field: Problem['field']) =>
      problem?.field === field ? `<p id="${field}-error">${escapeHtml(problem.message)}</p>\n` : '';
    return `<main>
<h1>Sign in to keyward (local)</h1>
<p>Local development only: enter the email of any member of an organization, and the sign-in code that <code>npm start</code> printed (line <code>sign-in code:</code>; also in the file <code>.keyward/sign-in-code</code>). There is no password.</p>
<form method="post" action="${escapeHtml(`${base}/authorize`)}">
${carried}
<p><label for="email">Email</label><br>
<input id="email" name="email" type="email" autocomplete="email" required autofocus value="${escapeHtml(email)}"${invalid('email')}></p>
${error('email')}<p><label for="code">Sign-in code</label><br>
<input id="code" name="sign_in_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required${invalid('code')}></p>
${error('code')}<p><button type="submit">Sign in</button></p>
</form>
</main>`;
  }

  function errorPage(response: ServerResponse, status: number, problem: string) {
    html(response, status, `<main>\n<h1>Sign-in request refused</h1>\n<p>${escapeHtml(problem)}</p>\n</main>`);
  }

  function issueCode(grant: Omit<Grant, 'expiresAt'>): string {
    const time = now();
    for (const [code, pending] of grants) if (pending.expiresAt <= time) grants.delete(code);
    if (grants.size >= MAX_PENDING_CODES) grants.delete(grants.keys().next().value!);
    const code = randomBytes(32).toString('base64url');
    grants.set(code, { ...grant, expiresAt: time + codeTtlMs });
    return code;
  }

  async function authorize(request: IncomingMessage, response: ServerResponse, url: URL) {
    const params = request.method === 'POST' ? await readForm(request) : url.searchParams;
    const target = client(params);
    if ('problem' in target) return errorPage(response, 400, target.problem);
    const problem = requestProblem(params);
    if (problem)
      return backToClient(
        response,
        target.redirectUri,
        { error: problem.error, error_description: problem.description },
        params.get('state'),
      );
    const origin = new URL(target.redirectUri).origin;
    if (request.method !== 'POST') return html(response, 200, signInPage(params), origin);

    const email = (params.get('email') ?? '').trim();
    if (!isEmailAddress(email)) {
      return html(
        response,
        400,
        signInPage(params, email, { field: 'email', message: 'Enter an email address, such as admin@demo.test.' }),
        origin,
      );
    }
    // The code is never echoed back into the page; a wrong one changes nothing and issues no code.
    if (!sameCode(params.get('sign_in_code') ?? '', signInCode)) {
      const message = 'That is not the sign-in code of this local stack: npm start prints it (sign-in code: …).';
      return html(response, 403, signInPage(params, email, { field: 'code', message }), origin);
    }
    const code = issueCode({ email, redirectUri: target.redirectUri, challenge: params.get('code_challenge')! });
    backToClient(response, target.redirectUri, { code }, params.get('state'));
  }

  async function token(request: IncomingMessage, response: ServerResponse) {
    const origin = request.headers.origin;
    const cors: Record<string, string> =
      origin && allowedOrigins.has(origin) ? { 'access-control-allow-origin': origin, vary: 'origin' } : {};
    const refuse = (error: string, description: string) => json(response, 400, { error, error_description: description }, cors);
    const form = await readForm(request);
    if (form.get('grant_type') !== 'authorization_code') return refuse('unsupported_grant_type', 'only authorization_code');
    const code = form.get('code') ?? '';
    const grant = grants.get(code);
    // One use only, even a failed one: a code that leaked cannot be tried twice.
    grants.delete(code);
    if (!grant || grant.expiresAt <= now()) return refuse('invalid_grant', 'unknown, used or expired code');
    if (form.get('client_id') !== clientId) return refuse('invalid_client', `unknown client_id (this issuer serves "${clientId}")`);
    if (form.get('redirect_uri') !== grant.redirectUri)
      return refuse('invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (!PKCE_VALUE.test(verifier) || s256(verifier) !== grant.challenge) return refuse('invalid_grant', 'code_verifier does not match');
    const idToken = await issuer.mint({ email: grant.email });
    json(response, 200, { id_token: idToken, token_type: 'Bearer', expires_in: ID_TOKEN_SECONDS }, { ...cors, pragma: 'no-cache' });
  }

  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    try {
      if (url.pathname === `${base}/.well-known/openid-configuration` && method === 'GET') {
        json(response, 200, discovery, { 'access-control-allow-origin': '*', 'cache-control': 'max-age=60' });
      } else if (url.pathname === `${base}/authorize` && (method === 'GET' || method === 'POST')) {
        await authorize(request, response, url);
      } else if (url.pathname === `${base}/token` && method === 'POST') {
        await token(request, response);
      } else {
        return false;
      }
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      if (!response.headersSent) json(response, error.status, { error: 'invalid_request', error_description: error.message });
    }
    return true;
  };
}
