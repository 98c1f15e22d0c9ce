import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createDevIssuer, type DevIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER_PATH } from '../../../local/dev-issuer';
import { createDevIssuerOidc } from '../../../local/dev-issuer-oidc';

/** What the local stack keeps in its state directory (state.ts) and the page asks for. */
const SIGN_IN_CODE = 'K7QX-M2RB-9TZD-HWN4';

/** The handler behind a real HTTP server on a free loopback port, as the gateway will mount it. */
describe('dev issuer OIDC endpoints', () => {
  let server: Server;
  let base: string;
  let issuer: DevIssuer;
  let consoleUrl: string;
  let clock: number;

  beforeEach(async () => {
    clock = Date.UTC(2036, 0, 1);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    consoleUrl = `${base}/console/`;
    issuer = await createDevIssuer({ issuer: `${base}${LOCAL_ISSUER_PATH}`, audience: LOCAL_AUDIENCE });
    const handle = createDevIssuerOidc({ issuer, redirectUris: [consoleUrl], signInCode: SIGN_IN_CODE, now: () => clock });
    server.on('request', (request, response) => {
      handle(request, response).then((handled) => {
        if (!handled) {
          response.writeHead(404);
          response.end('not the issuer');
        }
      });
    });
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const verifier = () => randomBytes(32).toString('base64url');
  const challengeOf = (value: string) => createHash('sha256').update(value).digest('base64url');

  function authorizeParams(overrides: Record<string, string | null> = {}, codeVerifier = verifier()) {
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: LOCAL_AUDIENCE,
      redirect_uri: consoleUrl,
      scope: 'openid email',
      state: 'state-123',
      code_challenge: challengeOf(codeVerifier),
      code_challenge_method: 'S256',
    });
    for (const [name, value] of Object.entries(overrides)) {
      if (value === null) params.delete(name);
      else params.set(name, value);
    }
    return params;
  }

  const post = (path: string, form: URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: form.toString(),
    });

  /** The sign-in page's POST: the browser comes back to the console with a code. */
  async function signIn(email: string, codeVerifier: string, overrides: Record<string, string | null> = {}) {
    const form = authorizeParams(overrides, codeVerifier);
    form.set('email', email);
    form.set('sign_in_code', SIGN_IN_CODE);
    const response = await post(`${LOCAL_ISSUER_PATH}/authorize`, form);
    expect(response.status).toBe(303);
    return new URL(response.headers.get('location')!);
  }

  function exchange(code: string, codeVerifier: string, overrides: Record<string, string> = {}) {
    return post(
      `${LOCAL_ISSUER_PATH}/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: consoleUrl,
        client_id: LOCAL_AUDIENCE,
        code_verifier: codeVerifier,
        ...overrides,
      }),
    );
  }

  it('publishes a discovery document for authorization code + PKCE', async () => {
    const response = await fetch(`${base}${LOCAL_ISSUER_PATH}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toMatchObject({
      issuer: issuer.issuer,
      authorization_endpoint: `${issuer.issuer}/authorize`,
      token_endpoint: `${issuer.issuer}/token`,
      jwks_uri: `${issuer.issuer}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('shows a sign-in page with the textboxes Email and Sign-in code and a Sign in button, without any script or style', async () => {
    const response = await fetch(`${base}${LOCAL_ISSUER_PATH}/authorize?${authorizeParams({ state: '"><script>alert(1)</script>' })}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toMatch(/<label for="email">Email<\/label>/);
    expect(page).toMatch(/<input id="email" name="email" type="email"/);
    expect(page).toMatch(/<label for="code">Sign-in code<\/label>/);
    expect(page).toMatch(/<input id="code" name="sign_in_code" type="text" [^>]*required/);
    expect(page).not.toContain(SIGN_IN_CODE);
    expect(page).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; form-action 'self' ${base}; frame-ancestors 'none'; base-uri 'none'`,
    );
  });

  it('refuses an unknown client or redirect URI with an error page, never a redirect', async () => {
    const cases: Record<string, string | null>[] = [
      { client_id: 'someone-else' },
      { redirect_uri: 'https://evil.example/console/' },
      { redirect_uri: null },
    ];
    for (const overrides of cases) {
      const response = await fetch(`${base}${LOCAL_ISSUER_PATH}/authorize?${authorizeParams(overrides)}`, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('Sign-in request refused');
    }
  });

  it('sends a request without PKCE S256, openid or code flow back to the console with an OAuth error', async () => {
    const cases: [Record<string, string | null>, string][] = [
      [{ code_challenge: null }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'email' }, 'invalid_scope'],
      [{ nonce: 'n-1' }, 'invalid_request'],
    ];
    for (const [overrides, error] of cases) {
      const response = await fetch(`${base}${LOCAL_ISSUER_PATH}/authorize?${authorizeParams(overrides)}`, { redirect: 'manual' });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(consoleUrl);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('state-123');
      expect(location.searchParams.has('code')).toBe(false);
    }
  });

  it('exchanges the code and its verifier for the ID token the dev issuer mints', async () => {
    const codeVerifier = verifier();
    const back = await signIn('admin@demo.test', codeVerifier);
    expect(`${back.origin}${back.pathname}`).toBe(consoleUrl);
    expect(back.searchParams.get('state')).toBe('state-123');

    const response = await exchange(back.searchParams.get('code')!, codeVerifier);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { id_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 43_200 });
    const { payload } = await jwtVerify(body.id_token, createLocalJWKSet(issuer.jwks()), {
      issuer: issuer.issuer,
      audience: LOCAL_AUDIENCE,
    });
    expect(payload).toMatchObject({ email: 'admin@demo.test', email_verified: true });
  });

  it('lets a code be exchanged once only', async () => {
    const codeVerifier = verifier();
    const code = (await signIn('admin@demo.test', codeVerifier)).searchParams.get('code')!;

    expect((await exchange(code, codeVerifier)).status).toBe(200);
    const again = await exchange(code, codeVerifier);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong verifier, and the code is spent by the attempt', async () => {
    const codeVerifier = verifier();
    const code = (await signIn('admin@demo.test', codeVerifier)).searchParams.get('code')!;

    const wrong = await exchange(code, verifier());
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant', error_description: 'code_verifier does not match' });
    expect((await exchange(code, codeVerifier)).status).toBe(400);
  });

  it('refuses a code past its minute, a different redirect URI or client', async () => {
    const codeVerifier = verifier();
    const late = (await signIn('admin@demo.test', codeVerifier)).searchParams.get('code')!;
    clock += 60_001;
    expect(await (await exchange(late, codeVerifier)).json()).toMatchObject({ error: 'invalid_grant' });

    const elsewhere = (await signIn('admin@demo.test', codeVerifier)).searchParams.get('code')!;
    expect(await (await exchange(elsewhere, codeVerifier, { redirect_uri: `${base}/other/` })).json()).toMatchObject({
      error: 'invalid_grant',
    });

    const otherClient = (await signIn('admin@demo.test', codeVerifier)).searchParams.get('code')!;
    expect(await (await exchange(otherClient, codeVerifier, { client_id: 'someone-else' })).json()).toMatchObject({
      error: 'invalid_client',
    });
  });

  it('allows the console origin, and only it, to read the token response', async () => {
    const codeVerifier = verifier();
    const code = (await signIn('admin@demo.test', codeVerifier)).searchParams.get('code')!;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: consoleUrl,
      client_id: LOCAL_AUDIENCE,
      code_verifier: codeVerifier,
    });
    const fromConsole = await post(`${LOCAL_ISSUER_PATH}/token`, form, { origin: base });
    expect(fromConsole.headers.get('access-control-allow-origin')).toBe(base);

    const stranger = await exchange('whatever', codeVerifier);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const fromElsewhere = await post(`${LOCAL_ISSUER_PATH}/token`, form, { origin: 'https://evil.example' });
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['no sign-in code', null],
    ['an empty sign-in code', ''],
    ['a wrong sign-in code', 'K7QX-M2RB-9TZD-HWN5'],
    ['the code of another state directory', 'AAAA-BBBB-CCCC-DDDD'],
  ])('issues no code for an email with %s: asks again, marking the field invalid (issue 16 item 7)', async (_, code) => {
    const form = authorizeParams();
    form.set('email', 'admin@demo.test');
    if (code !== null) form.set('sign_in_code', code);
    const response = await post(`${LOCAL_ISSUER_PATH}/authorize`, form);
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    const page = await response.text();
    expect(page).toContain('<input id="code" name="sign_in_code" type="text" autocomplete="off"');
    expect(page).toContain('aria-invalid="true" aria-describedby="code-error"');
    expect(page).toMatch(/<p id="code-error">That is not the sign-in code of this local stack/);
    expect(page).toContain('value="admin@demo.test"');
    expect(page).not.toContain(SIGN_IN_CODE);
  });

  it('takes the sign-in code as typed: any case, spaces or dashes', async () => {
    for (const typed of ['k7qx-m2rb-9tzd-hwn4', ' K7QX M2RB 9TZD HWN4 ', 'K7QXM2RB9TZDHWN4']) {
      const form = authorizeParams();
      form.set('email', 'admin@demo.test');
      form.set('sign_in_code', typed);
      const response = await post(`${LOCAL_ISSUER_PATH}/authorize`, form);
      expect([typed, response.status]).toEqual([typed, 303]);
    }
  });

  it('asks again for a malformed email, marking the field invalid', async () => {
    const form = authorizeParams();
    form.set('email', 'not an email');
    form.set('sign_in_code', SIGN_IN_CODE);
    const response = await post(`${LOCAL_ISSUER_PATH}/authorize`, form);
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('aria-invalid="true" aria-describedby="email-error"');
    expect(page).toContain('<p id="email-error">Enter an email address, such as admin@demo.test.</p>');
    expect(page).toContain('value="not an email"');
  });

  it('answers malformed or oversized requests with a 4xx and keeps serving', async () => {
    const json = await fetch(`${base}${LOCAL_ISSUER_PATH}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
    const huge = await post(`${LOCAL_ISSUER_PATH}/token`, new URLSearchParams({ code: 'x'.repeat(20 * 1024) }));
    expect(huge.status).toBe(413);
    expect(await (await post(`${LOCAL_ISSUER_PATH}/token`, new URLSearchParams({ grant_type: 'password' }))).json()).toMatchObject({
      error: 'unsupported_grant_type',
    });
    expect((await fetch(`${base}${LOCAL_ISSUER_PATH}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('leaves other paths to the gateway', async () => {
    for (const path of ['/v1/me', `${LOCAL_ISSUER_PATH}/.well-known/jwks.json`, `${LOCAL_ISSUER_PATH}/token-other`]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('not the issuer');
    }
    expect((await fetch(`${base}${LOCAL_ISSUER_PATH}/token`)).status).toBe(404);
  });
});
