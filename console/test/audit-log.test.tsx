import { within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AUDIT_PAGE_SIZE } from '../src/api/calls';
import type { AuditEvent } from '../src/api/client';
import { acme, expectAccessible, renderConsole, screen } from './render';

const details = (value: Record<string, unknown>) => value as unknown as AuditEvent['details'];

describe('the Audit log page', () => {
  it('is reached from the Audit log link and lists events newest first, with type, actor, time and key', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    api.event('acme', {
      type: 'api_key.created',
      occurred_at: '2026-11-20T08:00:00.000Z',
      actor: { type: 'user', email: 'admin@acme.test' },
      api_key_id: ci.id,
      details: details({ name: 'ci', masked_value: ci.masked_value }),
    });
    api.event('acme', {
      type: 'api_key.rotated',
      occurred_at: '2026-11-21T09:15:00.000Z',
      // API.md §3 has `operator` actors; the OpenAPI document does not list them yet.
      actor: { type: 'operator', principal: 'arn:aws:iam::123456789012:user/ops' } as unknown as AuditEvent['actor'],
      api_key_id: ci.id,
      details: details({ name: null, masked_value: ci.masked_value, new_api_key_id: 'key_x', expires_at: '2026-11-22T09:15:00.000Z' }),
    });
    api.event('acme', {
      type: 'api_key.retired',
      occurred_at: '2026-11-22T09:15:00.000Z',
      actor: { type: 'system' },
      api_key_id: ci.id,
      details: details({ name: null, masked_value: ci.masked_value }),
    });
    const { user } = await renderConsole(api);

    await user.click(await screen.findByRole('link', { name: 'Audit log' }));

    expect(await screen.findByRole('heading', { name: 'Audit log' })).toBeInTheDocument();
    const table = await screen.findByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((header) => header.textContent),
    ).toEqual(['Type', 'Actor', 'Time', 'Key']);
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((row) =>
        within(row)
          .getAllByRole('cell')
          .map((cell) => cell.textContent),
      );
    expect(rows).toEqual([
      ['api_key.retired', 'system', 'Nov 22, 2026, 9:15 AM', `Unnamed key ${ci.masked_value}`],
      ['api_key.rotated', 'operator', 'Nov 21, 2026, 9:15 AM', `Unnamed key ${ci.masked_value}`],
      ['api_key.created', 'admin@acme.test', 'Nov 20, 2026, 8:00 AM', `ci ${ci.masked_value}`],
    ]);
    await expectAccessible();
  });

  it('pages through the events with Next page and Previous page', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    const total = AUDIT_PAGE_SIZE + 5;
    for (let i = 0; i < total; i++) {
      api.event('acme', {
        type: 'api_key.revealed',
        occurred_at: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(),
        actor: { type: 'user', email: `admin${i}@acme.test` },
        api_key_id: ci.id,
        details: details({ name: 'ci', masked_value: ci.masked_value }),
      });
    }
    const { user } = await renderConsole(api, { route: '#/organizations/acme/audit_log' });
    const actors = () =>
      within(screen.getByRole('table'))
        .getAllByRole('row')
        .slice(1)
        .map((row) => within(row).getAllByRole('cell')[1]!.textContent);

    await screen.findByRole('table');
    expect(actors()).toHaveLength(AUDIT_PAGE_SIZE);
    expect(actors()[0]).toBe(`admin${total - 1}@acme.test`);
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('admin4@acme.test');
    expect(actors()).toEqual(['admin4@acme.test', 'admin3@acme.test', 'admin2@acme.test', 'admin1@acme.test', 'admin0@acme.test']);
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    expect(api.requestsTo('GET', /audit_events$/)).toHaveLength(2);

    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    await screen.findByText(`admin${total - 1}@acme.test`);
    expect(actors()).toHaveLength(AUDIT_PAGE_SIZE);
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();
  });
});
