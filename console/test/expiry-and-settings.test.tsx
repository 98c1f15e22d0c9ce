import { describe, expect, it } from 'vitest';
import { acme, expectAccessible, renderConsole, screen } from './render';

/** API.md §8 in the console: the expiry on Add and Edit, the warning for expiring keys, the Settings page. */
describe('expiring keys in the console', () => {
  it('offers an expiry on Add and sends it as expires_in', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: '#/organizations/acme/api_keys/new' });
    const expiration = await screen.findByRole('combobox', { name: 'Expiration' });
    expect(expiration).toHaveValue('');
    expect([...(expiration as HTMLSelectElement).options].map((option) => option.text)).toEqual([
      'Never',
      'In 1 hour',
      'In 24 hours',
      'In 48 hours',
      'In 7 days',
      'In 30 days',
      'In 90 days',
      'In 365 days',
    ]);

    await user.selectOptions(expiration, '1h');
    await user.click(screen.getByRole('button', { name: 'Add API key' }));

    await screen.findByRole('table');
    expect(api.requestsTo('POST', /api_keys$/).map((request) => (request.body as { expires_in?: string }).expires_in)).toEqual(['1h']);
    expect(await screen.findByRole('img', { name: 'Expiring key' })).toBeInTheDocument();
  });

  it('clears an expiry on Edit, sending expires_at null', async () => {
    const api = acme();
    const key = api.key('acme', { name: 'ci' });
    key.expires_at = '2036-11-28T10:53:00.000Z';
    key.expiry_source = 'request';
    const { user } = await renderConsole(api, { route: `#/organizations/acme/api_keys/${key.id}/edit` });
    const expiresAt = await screen.findByLabelText('Expires at');
    expect(expiresAt).not.toHaveValue('');
    await expectAccessible();

    await user.click(screen.getByRole('button', { name: 'Clear expiry' }));
    expect(expiresAt).toHaveValue('');
    await user.click(screen.getByRole('button', { name: 'Save edits' }));

    await screen.findByRole('table');
    const [patch] = api.requestsTo('PATCH', /api_keys\/[^/]+$/);
    expect((patch!.body as { expires_at?: string | null }).expires_at).toBeNull();
    expect(api.organizations.get('acme')!.keys.find((candidate) => candidate.id === key.id)!.expires_at).toBeNull();
  });
});

describe('the Settings page', () => {
  it('is linked from the keys page, shows the settings and saves them', async () => {
    const api = acme();
    const { user } = await renderConsole(api);
    await user.click(await screen.findByRole('link', { name: 'Settings' }));

    const max = await screen.findByRole('textbox', { name: 'Maximum key lifetime (days)' });
    const days = screen.getByRole('textbox', { name: 'Reminder days' });
    expect(max).toHaveValue('');
    expect(days).toHaveValue('7, 1');
    await expectAccessible();

    await user.type(max, '90');
    await user.clear(days);
    await user.type(days, '1, 14');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByText('Settings saved')).toBeInTheDocument();
    expect(api.settingsOf('acme')).toEqual({ max_key_lifetime_days: 90, expiry_reminder_days: [14, 1], leaked_key_action: 'rotate' });
  });

  it('shows a validation error next to its field', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: '#/organizations/acme/settings' });
    const max = await screen.findByRole('textbox', { name: 'Maximum key lifetime (days)' });

    await user.type(max, '999');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByText('must be a whole number of days from 1 to 730, or null')).toBeInTheDocument();
    expect(max).toHaveAttribute('aria-invalid', 'true');
    expect(max).toHaveAccessibleDescription('must be a whole number of days from 1 to 730, or null');
  });
});
