import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { FakeKeyward } from './fake-api';
import { acme, expectAccessible, renderConsole, screen } from './render';

describe('choosing the organization', () => {
  it('takes an admin of one organization straight to its keys', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    await renderConsole(api);

    expect(await screen.findByRole('heading', { name: 'API keys' })).toBeInTheDocument();
    expect(await screen.findByText('ci', { selector: '.key-name' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Switch organization' })).not.toBeInTheDocument();
    expect(window.location.hash).toBe('#/organizations/acme/api_keys');
  });

  it('lets an admin of several pick one by name, and Switch organization goes back to the choice', async () => {
    const api = new FakeKeyward()
      .organization('acme', 'Acme', { 'alice@example.test': 'admin' })
      .organization('globex', 'Globex Corporation', { 'alice@example.test': 'admin' })
      .organization('initech', 'Initech', { 'bob@example.test': 'admin' });
    api.key('acme', { name: 'acme key' });
    api.key('globex', { name: 'globex key' });
    const { user } = await renderConsole(api, { signedInAs: 'alice@example.test' });

    expect(await screen.findByRole('heading', { name: 'Choose an organization' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Acme' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Initech' })).not.toBeInTheDocument();
    await expectAccessible();

    await user.click(screen.getByRole('button', { name: 'Globex Corporation' }));
    expect(await screen.findByText('globex key', { selector: '.key-name' })).toBeInTheDocument();
    expect(screen.queryByText('acme key')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Switch organization' }));
    await user.click(await screen.findByRole('button', { name: 'Acme' }));
    expect(await screen.findByText('acme key', { selector: '.key-name' })).toBeInTheDocument();
  });

  it('tells a member who is not an admin so, and shows no keys', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    await renderConsole(api, { signedInAs: 'member@acme.test' });

    expect(await screen.findByText('You are not an admin of this organization.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add a key' })).not.toBeInTheDocument();
    expect(api.requestsTo('GET', /api_keys$/)).toHaveLength(0);
    await expectAccessible();
  });

  it('shows the same message when the API refuses the keys to a member', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    // The organization list still says admin; the API, which decides, says member.
    api.failNext('GET', /api_keys$/, () =>
      HttpResponse.json({ status: 403, error: 'Forbidden', code: 'admin_role_required' }, { status: 403 }),
    );
    await renderConsole(api);

    expect(await screen.findByRole('alert')).toHaveTextContent('You are not an admin of this organization.');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('says so when the signed-in person belongs to no organization', async () => {
    const api = acme();
    await renderConsole(api, { signedInAs: 'stranger@example.test' });

    expect(await screen.findByText(/You are not a member of any organization/)).toBeInTheDocument();
  });

  it('says so for an organization the person does not belong to', async () => {
    const api = acme().organization('initech', 'Initech', { 'bob@example.test': 'admin' });
    await renderConsole(api, { route: '#/organizations/initech/api_keys' });

    expect(await screen.findByRole('alert')).toHaveTextContent('This organization does not exist, or you are not a member of it.');
  });
});
