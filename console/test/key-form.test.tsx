import { within } from '@testing-library/react';
import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import { acme, expectAccessible, renderConsole, screen } from './render';

const ADD = '#/organizations/acme/api_keys/new';
const edit = (id: string) => `#/organizations/acme/api_keys/${id}/edit`;

describe('the Add an API key page', () => {
  it('lists every resource of the catalog the API publishes, every box checked', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    await renderConsole(api, { route: ADD });

    expect(await screen.findByRole('textbox', { name: 'Name' })).toHaveValue('');
    expect(screen.getByRole('heading', { name: 'Add an API key' })).toBeInTheDocument();
    const table = screen.getByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((header) => header.getAttribute('aria-label') ?? header.textContent),
    ).toEqual(['Resource', 'Read', 'Write']);
    expect(
      within(table)
        .getAllByRole('rowheader')
        .map((header) => header.textContent),
    ).toEqual([...DEFAULT_RESOURCE_CATALOG]);
    for (const resource of DEFAULT_RESOURCE_CATALOG) {
      expect(screen.getByRole('checkbox', { name: `Read ${resource}` })).toBeChecked();
      expect(screen.getByRole('checkbox', { name: `Write ${resource}` })).toBeChecked();
    }
    expect(screen.getByRole('checkbox', { name: 'Select all Read' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Select all Write' })).toBeChecked();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Add API key' })).toBeInTheDocument();
    await expectAccessible();
  });

  it('shows Select all as checked, mixed or unchecked, and sets the whole column', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: ADD });
    const selectAllRead = await screen.findByRole('checkbox', { name: 'Select all Read' });

    await user.click(screen.getByRole('checkbox', { name: 'Read invoice' }));
    expect(selectAllRead).toBePartiallyChecked();
    expect(screen.getByRole('checkbox', { name: 'Select all Write' })).toBeChecked();

    await user.click(selectAllRead);
    expect(selectAllRead).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Read invoice' })).toBeChecked();

    await user.click(selectAllRead);
    expect(selectAllRead).not.toBeChecked();
    expect(selectAllRead).not.toBePartiallyChecked();
    for (const resource of DEFAULT_RESOURCE_CATALOG) expect(screen.getByRole('checkbox', { name: `Read ${resource}` })).not.toBeChecked();

    await user.click(screen.getByRole('checkbox', { name: 'Read customer' }));
    expect(selectAllRead).toBePartiallyChecked();
    await expectAccessible();
  });

  it('creates the key with the chosen name and permissions, then shows it revealed in the list', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api, { route: ADD });

    await user.type(await screen.findByRole('textbox', { name: 'Name' }), 'billing sync');
    await user.click(screen.getByRole('checkbox', { name: 'Select all Write' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select all Read' }));
    await user.click(screen.getByRole('checkbox', { name: 'Read customer' }));
    await user.click(screen.getByRole('checkbox', { name: 'Write invoice' }));
    await user.click(screen.getByRole('button', { name: 'Add API key' }));

    expect(await screen.findByText('API key successfully created')).toBeInTheDocument();
    expect(api.requestsTo('POST', /api_keys$/).map((request) => request.body)).toEqual([
      { name: 'billing sync', permissions: { customer: ['read'], invoice: ['write'] } },
    ]);
    const created = api.organizations.get('acme')!.keys[1]!;
    const row = (await screen.findByText('billing sync', { selector: '.key-name' })).closest('tr')!;
    expect(within(row).getByText(created.value)).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'API keys' })).toBeInTheDocument();
  });

  it('sends a name longer than 100 characters as typed and shows the API reason next to the field', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: ADD });
    const name = await screen.findByRole('textbox', { name: 'Name' });
    const long = 'n'.repeat(101);

    await user.type(name, long);
    expect(name).toHaveValue(long);
    await user.click(screen.getByRole('button', { name: 'Add API key' }));

    expect(await screen.findByText('must be at most 100 characters')).toBeInTheDocument();
    expect(api.requestsTo('POST', /api_keys$/).map((request) => (request.body as { name: string }).name)).toEqual([long]);
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('must be at most 100 characters');
    await expectAccessible();
  });

  it('shows the reason next to the permissions when the API refuses them', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: ADD });

    await user.click(await screen.findByRole('checkbox', { name: 'Select all Read' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select all Write' }));
    await user.click(screen.getByRole('button', { name: 'Add API key' }));

    expect(await screen.findByText('must grant at least one resource')).toBeInTheDocument();
    const permissions = screen.getByRole('group', { name: 'Permissions' });
    expect(permissions).toHaveAttribute('aria-invalid', 'true');
    expect(permissions).toHaveAccessibleDescription('must grant at least one resource');
    expect(api.requestsTo('POST', /api_keys$/).map((request) => request.body)).toEqual([{ name: '', permissions: {} }]);
    await expectAccessible();
  });

  it('sends Allowed IP addresses one block per line, and shows the API reason next to the field', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: ADD });
    const field = await screen.findByRole('textbox', { name: 'Allowed IP addresses' });
    expect(field).toHaveValue('');

    await user.type(field, '203.0.113.0/24{Enter}{Enter}example.com');
    await user.click(screen.getByRole('button', { name: 'Add API key' }));
    expect(await screen.findByText('is not an IPv4 or IPv6 address or CIDR block')).toBeInTheDocument();
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(expect.stringContaining('is not an IPv4 or IPv6 address or CIDR block'));
    await expectAccessible();

    await user.clear(field);
    await user.type(field, ' 203.0.113.0/24 {Enter}2001:db8::/32{Enter}');
    await user.click(screen.getByRole('button', { name: 'Add API key' }));
    expect(await screen.findByText('API key successfully created')).toBeInTheDocument();
    const bodies = api.requestsTo('POST', /api_keys$/).map((request) => (request.body as { allowed_ips?: unknown }).allowed_ips);
    expect(bodies).toEqual([
      ['203.0.113.0/24', 'example.com'],
      ['203.0.113.0/24', '2001:db8::/32'],
    ]);
  });

  it('says why when the organization already has 100 keys', async () => {
    const api = acme();
    for (let i = 0; i < 100; i++) api.key('acme', { name: `key ${i}` });
    const { user } = await renderConsole(api, { route: ADD });

    await user.click(await screen.findByRole('button', { name: 'Add API key' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('This organization has reached its limit of 100 API keys.');
  });

  it('goes back to the list on Cancel without creating anything', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: ADD });

    await user.click(await screen.findByRole('button', { name: 'Cancel' }));

    expect(await screen.findByRole('heading', { name: 'API keys' })).toBeInTheDocument();
    expect(api.requestsTo('POST', /api_keys$/)).toHaveLength(0);
  });

  it('says so when the permission catalog cannot be read', async () => {
    const api = acme();
    const { server } = await import('./setup');
    const { http } = await import('msw');
    await renderConsole(api, { route: ADD });
    server.use(http.get('http://api.test/openapi.json', () => new HttpResponse(null, { status: 503 })));

    expect(await screen.findByRole('alert')).toHaveTextContent('The keyward API failed (503).');
  });
});

describe('the Edit an API key page', () => {
  it("opens with the key's name and permissions and saves with If-Match the ETag it read", async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci', permissions: { customer: ['read'], invoice: ['read', 'write'] } });
    const { user } = await renderConsole(api, { route: edit(ci.id) });

    const name = await screen.findByRole('textbox', { name: 'Name' });
    expect(screen.getByRole('heading', { name: 'Edit an API key' })).toBeInTheDocument();
    expect(name).toHaveValue('ci');
    expect(screen.getByRole('checkbox', { name: 'Read customer' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Write customer' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Write invoice' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Read plan' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Select all Read' })).toBePartiallyChecked();
    await expectAccessible();

    await user.clear(name);
    await user.type(name, 'ci runner');
    await user.click(screen.getByRole('checkbox', { name: 'Write customer' }));
    await user.click(screen.getByRole('button', { name: 'Save edits' }));

    expect(await screen.findByText('API key successfully updated')).toBeInTheDocument();
    const [patch] = api.requestsTo('PATCH', /api_keys\//);
    expect(patch!.headers.get('if-match')).toBe('"1"');
    expect(patch!.body).toEqual({ name: 'ci runner', permissions: { customer: ['read', 'write'], invoice: ['read', 'write'] } });
    expect(await screen.findByText('ci runner', { selector: '.key-name' })).toBeInTheDocument();
  });

  it('shows the allowlist one block per line and sends it only when changed', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci', allowed_ips: ['203.0.113.0/24', '2001:db8::/32'] });
    const { user } = await renderConsole(api, { route: edit(ci.id) });
    const field = await screen.findByRole('textbox', { name: 'Allowed IP addresses' });
    expect(field).toHaveValue('203.0.113.0/24\n2001:db8::/32');

    await user.type(screen.getByRole('textbox', { name: 'Name' }), ' runner');
    await user.click(screen.getByRole('button', { name: 'Save edits' }));
    expect(await screen.findByText('API key successfully updated')).toBeInTheDocument();
    expect(api.requestsTo('PATCH', /api_keys\//)[0]!.body).not.toHaveProperty('allowed_ips');
  });

  it('lifts the allowlist when the field is emptied', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci', allowed_ips: ['203.0.113.0/24'] });
    const { user } = await renderConsole(api, { route: edit(ci.id) });
    await user.clear(await screen.findByRole('textbox', { name: 'Allowed IP addresses' }));
    await user.click(screen.getByRole('button', { name: 'Save edits' }));
    expect(await screen.findByText('API key successfully updated')).toBeInTheDocument();
    expect(api.requestsTo('PATCH', /api_keys\//)[0]!.body).toMatchObject({ allowed_ips: null });
    expect(api.organizations.get('acme')!.keys[0]!.allowed_ips).toBeNull();
  });

  it('refuses to overwrite a change made by someone else since the page opened, and reloads the form', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci', permissions: { customer: ['read'] } });
    const { user } = await renderConsole(api, { route: edit(ci.id) });
    const name = await screen.findByRole('textbox', { name: 'Name' });

    api.changeBehindTheConsole('acme', ci.id, { name: 'renamed by Bob', permissions: { customer: ['read'], plan: ['read'] } });
    await user.clear(name);
    await user.type(name, 'mine');
    await user.click(screen.getByRole('button', { name: 'Save edits' }));

    expect(await screen.findByText('This key was changed by someone else')).toBeInTheDocument();
    expect(api.organizations.get('acme')!.keys[0]!.name).toBe('renamed by Bob');
    await expectAccessible();

    await user.click(screen.getByRole('button', { name: 'Reload' }));
    expect(await screen.findByDisplayValue('renamed by Bob')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Read plan' })).toBeChecked();
    expect(screen.queryByText('This key was changed by someone else')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Save edits' }));
    expect(await screen.findByText('API key successfully updated')).toBeInTheDocument();
    expect(api.requestsTo('PATCH', /api_keys\//).map((request) => request.headers.get('if-match'))).toEqual(['"1"', '"2"']);
  });

  it('says the key is gone when it was deleted meanwhile', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    await renderConsole(api, { route: edit('key_gone') });

    expect(await screen.findByRole('alert')).toHaveTextContent('This API key no longer exists');
  });
});
