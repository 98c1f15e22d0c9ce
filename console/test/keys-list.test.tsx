import { within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { acme, expectAccessible, renderConsole, screen, tabTo } from './render';

const rowOf = async (name: string) => (await screen.findByText(name, { selector: '.key-name, .focusable-name' })).closest('tr')!;

describe('the API keys list', () => {
  it('shows one row per key: name or Unnamed key, masked token, last use and creation', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci', last_used_at: '2026-11-20T14:05:00.000Z', created_at: '2026-11-01T09:30:00.000Z' });
    const unnamed = api.key('acme', { name: null, created_at: '2026-11-02T16:45:00.000Z' });
    const hour = (hoursAgo: number) => new Date(Math.floor(Date.now() / 3_600_000 - hoursAgo) * 3_600_000).toISOString();
    api.usage.set('acme', [
      { start: hour(30), api_key_id: ci.id, allowed: 1000, denied: {}, throttled: 0 },
      { start: hour(3), api_key_id: ci.id, allowed: 1200, denied: { write_action_not_allowed_for_customer: 30 }, throttled: 4 },
      { start: hour(0), api_key_id: ci.id, allowed: 6, denied: {}, throttled: 0 },
    ]);
    await renderConsole(api);

    const table = await screen.findByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((header) => header.textContent),
    ).toEqual(['Name', 'Token', 'Last used', 'Requests (24h)', 'Created']);
    // Allowed, denied and throttled of the last 24 hours (the bucket of 30 hours ago is outside).
    await within(table).findByText('1,240');
    const [, first, second] = within(table).getAllByRole('row');
    expect(
      within(first!)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['ci', ci.masked_value, 'Nov 20, 2026, 2:05 PM', '1,240', 'Nov 1, 2026, 9:30 AM']);
    expect(
      within(second!)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['Unnamed key', unnamed.masked_value, 'Never', '0', 'Nov 2, 2026, 4:45 PM']);
    expect(screen.getByRole('button', { name: 'Add a key' })).toBeInTheDocument();
    await expectAccessible();
  });

  it('reveals the full token through the reveal endpoint, and hides it again', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    api.key('acme', { name: 'other' });
    const { user } = await renderConsole(api);
    const row = await rowOf('ci');

    await user.click(within(row).getByRole('button', { name: 'Reveal key' }));
    expect(await within(row).findByText(ci.value)).toBeInTheDocument();
    expect(api.requestsTo('POST', /\/reveal$/).map((request) => request.path)).toEqual([`/v1/organizations/acme/api_keys/${ci.id}/reveal`]);
    expect(api.requestsTo('POST', /\/reveal$/)[0]!.headers.get('authorization')).toMatch(/^Bearer ey/);

    await user.click(within(row).getByRole('button', { name: 'Hide key' }));
    expect(within(row).queryByText(ci.value)).not.toBeInTheDocument();
    expect(within(row).getByText(ci.masked_value)).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Reveal key' })).toBeInTheDocument();
  });

  it('copies the full token, revealing it first when hidden, and says so in a toast', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);
    const row = await rowOf('ci');

    await user.click(within(row).getByRole('button', { name: 'Copy key' }));
    expect(await screen.findByText('Copied to clipboard')).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(ci.value);
    expect(api.requestsTo('POST', /\/reveal$/)).toHaveLength(1);
    // Copying does not put the token on the screen.
    expect(within(row).getByText(ci.masked_value)).toBeInTheDocument();
    await expectAccessible();
  });

  it('marks a key with a pending expiry with an image and a tooltip on its focusable name', async () => {
    const api = acme();
    api.key('acme', { name: 'old', expires_at: '2026-11-28T10:53:00.000Z' });
    api.key('acme', { name: 'new' });
    const { user } = await renderConsole(api);
    const row = await rowOf('old');

    expect(within(row).getByRole('img', { name: 'Expiring key' })).toBeInTheDocument();
    expect(within(await rowOf('new')).queryByRole('img', { name: 'Expiring key' })).not.toBeInTheDocument();
    const name = within(row).getByText('old');
    await tabTo(user, name);
    const tooltip = await screen.findByRole('tooltip');
    expect(tooltip).toHaveTextContent('The key expires on Nov 28, 2026, 10:53 AM');
    expect(name).toHaveAccessibleDescription('The key expires on Nov 28, 2026, 10:53 AM');
    await expectAccessible();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('tooltip')).not.toBeInTheDocument();
    await user.hover(name);
    expect(await screen.findByRole('tooltip')).toHaveTextContent('The key expires on Nov 28, 2026, 10:53 AM');
  });

  it("offers every action in a key's menu when nothing forbids one", async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    api.key('acme', { name: 'deploy' });
    const { user } = await renderConsole(api);

    await user.click(within(await rowOf('ci')).getByRole('button', { name: 'More options' }));
    const menu = await screen.findByRole('menu');
    expect(
      within(menu)
        .getAllByRole('menuitem')
        .map((item) => item.textContent),
    ).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    await expectAccessible();
  });

  it('offers no Rotate key for the old key of a pending rotation, and no Delete key for the last key without an expiry', async () => {
    const api = acme();
    api.key('acme', { name: 'old', expires_at: '2036-11-28T10:53:00.000Z', expiry_source: 'rotation' });
    api.key('acme', { name: 'new' });
    const { user } = await renderConsole(api);

    await user.click(within(await rowOf('old')).getByRole('button', { name: 'More options' }));
    let menu = await screen.findByRole('menu');
    expect(
      within(menu)
        .getAllByRole('menuitem')
        .map((item) => item.textContent),
    ).toEqual(['Reveal key', 'Copy key', 'Edit key', 'Delete key']);
    await user.keyboard('{Escape}');

    await user.click(within(await rowOf('new')).getByRole('button', { name: 'More options' }));
    menu = await screen.findByRole('menu');
    expect(
      within(menu)
        .getAllByRole('menuitem')
        .map((item) => item.textContent),
    ).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key']);
  });

  it('offers Rotate key for keys with their own or the policy’s expiry, and Delete key wherever the API allows it', async () => {
    const api = acme();
    api.key('acme', { name: 'plain' });
    api.key('acme', { name: 'by policy', expires_at: '2036-11-28T10:53:00.000Z', expiry_source: 'policy' });
    api.key('acme', { name: 'own', expires_at: '2036-11-28T10:53:00.000Z', expiry_source: 'request' });
    api.key('acme', { name: 'lapsed', expires_at: '2026-01-01T00:00:00.000Z', expiry_source: 'request' });
    const { user } = await renderConsole(api);
    const itemsOf = async (name: string) => {
      await user.click(within(await rowOf(name)).getByRole('button', { name: 'More options' }));
      const items = within(await screen.findByRole('menu'))
        .getAllByRole('menuitem')
        .map((item) => item.textContent);
      await user.keyboard('{Escape}');
      return items;
    };

    // The policy's key counts as non-expiring (API.md §8): the plain key is not the last one.
    expect(await itemsOf('plain')).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    expect(await itemsOf('by policy')).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    expect(await itemsOf('own')).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    // Past its expiry a key is over: the API refuses its rotation.
    expect(await itemsOf('lapsed')).toEqual(['Reveal key', 'Copy key', 'Edit key', 'Delete key']);
  });

  it('offers no Delete key for the policy’s key when it is the last non-expiring one', async () => {
    const api = acme();
    api.key('acme', { name: 'by policy', expires_at: '2036-11-28T10:53:00.000Z', expiry_source: 'policy' });
    api.key('acme', { name: 'own', expires_at: '2036-11-28T10:53:00.000Z', expiry_source: 'request' });
    const { user } = await renderConsole(api);
    await user.click(within(await rowOf('by policy')).getByRole('button', { name: 'More options' }));
    expect(
      within(await screen.findByRole('menu'))
        .getAllByRole('menuitem')
        .map((item) => item.textContent),
    ).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key']);
  });

  it('reveals, hides and copies from the menu too, by keyboard alone', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);
    const row = await rowOf('ci');

    within(row).getByRole('button', { name: 'More options' }).focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('menu')).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'Reveal key' })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(await within(row).findByText(ci.value)).toBeInTheDocument();

    within(row).getByRole('button', { name: 'More options' }).focus();
    await user.keyboard('{Enter}');
    await user.keyboard('{ArrowDown}{Enter}');
    expect(await screen.findByText('Copied to clipboard')).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(ci.value);
    // The token was already shown: copying it needed no second reveal.
    expect(api.requestsTo('POST', /\/reveal$/)).toHaveLength(1);

    within(row).getByRole('button', { name: 'More options' }).focus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('menuitem', { name: 'Hide key' })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(within(row).getByText(ci.masked_value)).toBeInTheDocument();
  });

  it('opens the Edit page from Edit key', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);

    await user.click(within(await rowOf('ci')).getByRole('button', { name: 'More options' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Edit key' }));
    expect(await screen.findByRole('heading', { name: 'Edit an API key' })).toBeInTheDocument();
    expect(await screen.findByRole('textbox', { name: 'Name' })).toHaveValue('ci');
  });

  it('opens the Add page from Add a key', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);

    await user.click(await screen.findByRole('button', { name: 'Add a key' }));
    expect(await screen.findByRole('heading', { name: 'Add an API key' })).toBeInTheDocument();
  });
});
