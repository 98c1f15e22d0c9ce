import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../src/api/client';
import { acme, expectAccessible, renderConsole, screen } from './render';

/** API.md §10 in the console: what a report of a key found in public does, and the audit log saying where it was found. */
describe('leaked keys in the console', () => {
  it('offers "When a key is found in public" in Settings, Rotate it now by default, and saves Only notify admins', async () => {
    const api = acme();
    const { user } = await renderConsole(api, { route: '#/organizations/acme/settings' });

    const group = await screen.findByRole('radiogroup', { name: 'When a key is found in public' });
    expect(group).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'Rotate it now' })).toBeChecked();
    expect(screen.getByRole('radio', { name: 'Only notify admins' })).not.toBeChecked();
    await expectAccessible();

    await user.click(screen.getByRole('radio', { name: 'Only notify admins' }));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved')).toBeInTheDocument();
    expect(api.settingsOf('acme').leaked_key_action).toBe('notify');
    expect(api.requestsTo('PATCH', /\/settings$/)).toHaveLength(1);
  });

  it('shows api_key.leaked in the audit log with where the key was found and what was done', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    api.event('acme', {
      type: 'api_key.leaked',
      occurred_at: '2026-11-20T08:00:00.000Z',
      actor: { type: 'system' },
      api_key_id: ci.id,
      details: {
        name: 'ci',
        masked_value: ci.masked_value,
        source: 'commit',
        url: 'https://github.com/acme/app/blob/abc123/.env',
        action: 'rotate',
        new_api_key_id: 'key_new',
      } as unknown as AuditEvent['details'],
    });
    const { user } = await renderConsole(api);
    await user.click(await screen.findByRole('link', { name: 'Audit log' }));

    const row = (await screen.findByText('api_key.leaked')).closest('tr')!;
    expect(row).toHaveTextContent('found in public (commit) at https://github.com/acme/app/blob/abc123/.env: rotated');
    expect(row).toHaveTextContent(ci.masked_value);
    await expectAccessible();
  });
});
