import { HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type AuditEvent } from '../src/api/client';
import { errorMessage } from '../src/api/errors';
import { ConfigError, loadConfig } from '../src/config';
import { API } from './fake-api';
import { acme, expectAccessible, renderConsole, screen } from './render';
import { server } from './setup';

describe('API errors become messages, never a blank page', () => {
  it('says the API failed on a 5xx, and Try again reloads', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    api.failNext('GET', /api_keys$/, () =>
      HttpResponse.json({ status: 500, error: 'Internal Server Error', code: 'internal_error' }, { status: 500 }),
    );
    const { user } = await renderConsole(api);

    expect(await screen.findByRole('alert')).toHaveTextContent('The keyward API failed (500). Try again in a moment.');
    await expectAccessible();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('ci', { selector: '.key-name' })).toBeInTheDocument();
  });

  it('says a change lost to concurrent changes (409 conflict) changed nothing and may be retried, never a failure', () => {
    expect(errorMessage(new ApiError(409, 'conflict'))).toBe(
      'Someone else was changing this at the same moment, and nothing was changed. Try again.',
    );
  });

  it('says the API cannot be reached when the network fails', async () => {
    const api = acme();
    api.failNext('GET', /api_keys$/, () => HttpResponse.error());
    await renderConsole(api);

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The keyward API could not be reached. Check your connection and try again.',
    );
  });

  it('explains an error body that is not the contract shape (a proxy error page) by its status', async () => {
    const api = acme();
    api.failNext(
      'GET',
      /api_keys$/,
      () => new HttpResponse('<html>Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    );
    await renderConsole(api);

    expect(await screen.findByRole('alert')).toHaveTextContent('The keyward API failed (502).');
  });

  it('says so when a revealed key no longer exists', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    api.key('acme', { name: 'deploy' });
    const { user } = await renderConsole(api);
    const row = (await screen.findByText('ci', { selector: '.key-name' })).closest('tr')!;
    const keys = api.organizations.get('acme')!.keys;
    keys.splice(keys.indexOf(ci), 1);

    await user.click(row.querySelector('[aria-label="Reveal key"]')!);

    expect(await screen.findByRole('alert')).toHaveTextContent('This API key no longer exists');
  });

  it('keeps the frame and shows a message when a page fails to render', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    // An event without details breaks the audit page's rendering.
    api.event('acme', {
      type: 'api_key.created',
      occurred_at: '2026-11-20T08:00:00.000Z',
      actor: { type: 'user', email: 'admin@acme.test' },
      api_key_id: ci.id,
      details: undefined as unknown as AuditEvent['details'],
    });
    // React reports the caught error on the console; that report is expected here.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { user } = await renderConsole(api, { route: '#/organizations/acme/audit_log' });

    expect(await screen.findByRole('alert')).toHaveTextContent('Something went wrong in the console');
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
    await user.click(screen.getByRole('link', { name: 'Go to your organizations' }));
    expect(await screen.findByText('ci', { selector: '.key-name' })).toBeInTheDocument();
  });
});

describe('config.json', () => {
  it('reads the settings next to the console and fills in the defaults', async () => {
    server.use(http.get('*/console/config.json', () => HttpResponse.json({ authority: 'https://issuer.example/pool', client_id: 'abc' })));

    expect(await loadConfig()).toEqual({
      authority: 'https://issuer.example/pool',
      clientId: 'abc',
      redirectUri: 'http://localhost:3000/console/',
      apiBaseUrl: 'http://localhost:3000',
      scope: 'openid email',
    });
  });

  it('names what is wrong with it', async () => {
    server.use(http.get('*/console/config.json', () => HttpResponse.json({ authority: 'not a url', api_base_url: API })));

    await expect(loadConfig()).rejects.toThrow(ConfigError);
    await expect(loadConfig()).rejects.toThrow(/config\.json is invalid: authority: .*; client_id: /);
  });

  it('says when it is missing', async () => {
    server.use(http.get('*/console/config.json', () => new HttpResponse(null, { status: 404 })));

    await expect(loadConfig()).rejects.toThrow('/console/config.json answered 404');
  });
});
