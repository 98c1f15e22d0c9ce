import { within } from '@testing-library/react';
import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { acme, expectAccessible, renderConsole, screen } from './render';

const rowOf = async (name: string) => (await screen.findByText(name, { selector: '.key-name, .focusable-name' })).closest('tr')!;

async function openFromMenu(user: Awaited<ReturnType<typeof renderConsole>>['user'], keyName: string, action: string) {
  await user.click(within(await rowOf(keyName)).getByRole('button', { name: 'More options' }));
  await user.click(await screen.findByRole('menuitem', { name: action }));
  return screen.findByRole('dialog', { name: action === 'Rotate key' ? 'Rotate API key' : 'Delete API key' });
}

describe('the Rotate API key dialog', () => {
  it('explains rotation, shows the last use and offers five expiration dates, Immediately by default', async () => {
    const api = acme();
    api.key('acme', { name: 'ci', last_used_at: '2026-11-20T14:05:00.000Z' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Rotate key');
    expect(dialog).toHaveTextContent(/creates a new key with the same name and permissions/);
    expect(within(dialog).getByText('Last used: Nov 20, 2026, 2:05 PM')).toBeInTheDocument();
    const group = within(dialog).getByRole('group', { name: 'Expiration date' });
    expect(within(group).getByRole('radiogroup', { name: 'Expiration date' })).toBeInTheDocument();
    expect(
      within(group)
        .getAllByRole('radio')
        .map((radio) => radio.closest('label')?.textContent),
    ).toEqual(['Immediately', 'In 1 hour', 'In 24 hours', 'In 48 hours', 'In 7 days']);
    expect(within(group).getByRole('radio', { name: 'Immediately' })).toBeChecked();
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Rotate API key' })).toBeInTheDocument();
    await expectAccessible();
  });

  it('says Never used for a key never used', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Rotate key');
    expect(within(dialog).getByText('Never used')).toBeInTheDocument();
  });

  it('keeps the focus inside and closes with Escape, changing nothing', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Rotate key');
    for (let i = 0; i < 6; i++) {
      await user.tab();
      expect(dialog).toContainElement(document.activeElement as HTMLElement);
    }
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.requestsTo('POST', /\/rotate$/)).toHaveLength(0);
  });

  it('rotates at once: the toast, the new key shown revealed, the old key gone', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Rotate key');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate API key' }));

    expect(await screen.findByText('API key successfully rotated')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.requestsTo('POST', /\/rotate$/).map((request) => request.body)).toEqual([{ expires_in: 'now' }]);
    const newKey = api.organizations.get('acme')!.keys[0]!;
    expect(newKey.id).not.toBe(ci.id);
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1);
    expect(within(rows[0]!).getByText(newKey.value)).toBeInTheDocument();
    expect(within(rows[0]!).getByRole('button', { name: 'Hide key' })).toBeInTheDocument();
    expect(screen.queryByText(ci.masked_value)).not.toBeInTheDocument();
    await expectAccessible();

    // Shown until the page is left: back on the list, the new key is masked like any other.
    await user.click(screen.getByRole('link', { name: 'Audit log' }));
    await user.click(await screen.findByRole('link', { name: 'API keys' }));
    expect(await screen.findByText(newKey.masked_value)).toBeInTheDocument();
    expect(screen.queryByText(newKey.value)).not.toBeInTheDocument();
  });

  it('schedules a rotation: the old key stays, marked expiring, until the chosen time', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Rotate key');
    await user.click(within(dialog).getByRole('radio', { name: 'In 24 hours' }));
    await user.click(within(dialog).getByRole('button', { name: 'Rotate API key' }));

    expect(await screen.findByText('API key successfully rotated')).toBeInTheDocument();
    expect(api.requestsTo('POST', /\/rotate$/).map((request) => request.body)).toEqual([{ expires_in: '24h' }]);
    const oldRow = screen.getByText(ci.masked_value).closest('tr')!;
    expect(within(oldRow).getByRole('img', { name: 'Expiring key' })).toBeInTheDocument();
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    // The old key has a pending expiry now: it can no longer be rotated.
    await user.click(within(oldRow).getByRole('button', { name: 'More options' }));
    expect(screen.queryByRole('menuitem', { name: 'Rotate key' })).not.toBeInTheDocument();
  });

  it('shows the API refusal in the dialog when someone else scheduled a rotation first', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);
    api.failNext('POST', /\/rotate$/, () =>
      HttpResponse.json({ status: 422, error: 'Unprocessable Entity', code: 'rotation_already_scheduled' }, { status: 422 }),
    );

    const dialog = await openFromMenu(user, 'ci', 'Rotate key');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate API key' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent('A rotation of this key is already scheduled');
  });
});

describe('the Delete API key dialog', () => {
  it('says the deletion is immediate, shows the last use, and deletes on confirmation', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci', last_used_at: '2026-11-20T14:05:00.000Z' });
    api.key('acme', { name: 'deploy' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Delete key');
    expect(dialog).toHaveTextContent(/takes effect immediately/);
    expect(within(dialog).getByText('Last used: Nov 20, 2026, 2:05 PM')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toBeInTheDocument();
    await expectAccessible();

    await user.click(within(dialog).getByRole('button', { name: 'Delete API key' }));
    expect(await screen.findByText('API key successfully deleted')).toBeInTheDocument();
    expect(api.requestsTo('DELETE', /api_keys\//).map((request) => request.path)).toEqual([`/v1/organizations/acme/api_keys/${ci.id}`]);
    expect(screen.queryByText('ci', { selector: '.key-name' })).not.toBeInTheDocument();
    expect(screen.getByText('deploy', { selector: '.key-name' })).toBeInTheDocument();
  });

  it('closes on Cancel without deleting', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    api.key('acme', { name: 'deploy' });
    const { user } = await renderConsole(api);

    const dialog = await openFromMenu(user, 'ci', 'Delete key');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.requestsTo('DELETE', /api_keys\//)).toHaveLength(0);
  });

  it('shows the last-key refusal when another admin deleted the other key meanwhile', async () => {
    const api = acme();
    api.key('acme', { name: 'ci' });
    const deploy = api.key('acme', { name: 'deploy' });
    const { user } = await renderConsole(api);
    await rowOf('ci');
    const keys = api.organizations.get('acme')!.keys;
    keys.splice(keys.indexOf(deploy), 1);

    const dialog = await openFromMenu(user, 'ci', 'Delete key');
    await user.click(within(dialog).getByRole('button', { name: 'Delete API key' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'This is the last key without an expiration date, and an organization always keeps one.',
    );
  });
});
