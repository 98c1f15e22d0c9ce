import { within } from '@testing-library/react';
import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { CONSOLE_URL, ISSUER } from './fake-api';
import { acme, expectAccessible, RecordingNavigator, renderConsole, screen, storeSession } from './render';

/** Everything this tab keeps, as one string: where a token would show if it were stored. */
const storage = (store: Storage) =>
  Object.keys(store)
    .map((key) => `${key}=${store.getItem(key)}`)
    .join('\n');

describe('signing in and out', () => {
  it('signs in with authorization code + PKCE, keeps the token out of URLs and localStorage, and returns to the page it started from', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const navigator = new RecordingNavigator();
    const first = await renderConsole(api, { signedInAs: null, route: '#/organizations/acme/audit_log', navigator });

    await expectAccessible();
    await first.user.click(await screen.findByRole('button', { name: 'Sign in' }));
    await expect.poll(() => navigator.urls).toHaveLength(1);
    const authorize = new URL(navigator.urls[0]!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${ISSUER}/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: 'keyward-console',
      redirect_uri: CONSOLE_URL,
      response_type: 'code',
      scope: 'openid email',
      code_challenge_method: 'S256',
    });
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();

    // The issuer's sign-in page sends the browser back with a one-time code: a new page load.
    first.view.unmount();
    const callback = new URL(first.issuer.issueCode(navigator.urls[0]!, 'admin@acme.test'));
    await renderConsole(api, { signedInAs: null, route: callback.search, issuer: first.issuer });

    expect(await screen.findByRole('heading', { name: 'Audit log' })).toBeInTheDocument();
    expect(window.location.href).toBe(`${CONSOLE_URL}#/organizations/acme/audit_log`);
    const [exchange] = first.issuer.tokenRequests;
    expect(exchange!.get('grant_type')).toBe('authorization_code');
    expect(exchange!.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    const token = api
      .requestsTo('GET', /audit_events$/)[0]!
      .headers.get('authorization')!
      .replace('Bearer ', '');
    expect(storage(window.sessionStorage)).toContain(token);
    expect(storage(window.localStorage)).not.toContain(token);
    expect(window.location.href).not.toContain(token);
    expect(window.location.search).toBe('');
  });

  it('ends the session on Sign out: the token is gone and a reload shows Sign in, never the keys', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user, view } = await renderConsole(api);
    await screen.findByText('ci', { selector: '.key-name' });

    await user.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(storage(window.sessionStorage)).not.toContain('id_token');
    const listed = api.requestsTo('GET', /api_keys$/).length;

    view.unmount();
    await renderConsole(api, { signedInAs: null, route: window.location.hash });
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByText('ci')).not.toBeInTheDocument();
    expect(api.requestsTo('GET', /api_keys$/)).toHaveLength(listed);
  });

  it('asks to sign in again when the API no longer accepts the token', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    api.failNext('GET', /api_keys$/, () => HttpResponse.json({ status: 401, error: 'Unauthorized' }, { status: 401 }));
    await renderConsole(api);

    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Your session has ended. Sign in again.');
    expect(storage(window.sessionStorage)).not.toContain('id_token');
  });

  it('treats an expired token as signed out', async () => {
    const api = acme();
    await storeSession('admin@acme.test', -60);
    await renderConsole(api, { signedInAs: null });

    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(api.requests).toHaveLength(0);
  });

  it('says so when the issuer refuses the code, and leaves no code in the address bar', async () => {
    const api = acme();
    const navigator = new RecordingNavigator();
    const first = await renderConsole(api, { signedInAs: null, navigator });
    await first.user.click(await screen.findByRole('button', { name: 'Sign in' }));
    await expect.poll(() => navigator.urls).toHaveLength(1);
    first.view.unmount();

    const callback = new URL(first.issuer.issueCode(navigator.urls[0]!, 'admin@acme.test'));
    callback.searchParams.set('code', 'forged');
    const { view } = await renderConsole(api, { signedInAs: null, route: callback.search, issuer: first.issuer });

    expect(await within(view.container).findByRole('alert')).toHaveTextContent(/^Sign-in did not complete/);
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.search).toBe('');
  });
});
