import { within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { acme, expectAccessible, renderConsole, screen } from './render';

/**
 * The pages the keys page does not show come from chunks of their own (src/app/routes.tsx). A
 * chunk takes a network round trip; this test holds one back, as a slow network would (jsdom
 * loads it at once otherwise). A chunk that fails to arrive: test/e2e/console-browser.test.ts.
 */
const auditChunk = vi.hoisted(() => {
  let release = () => {};
  const arrived = new Promise<void>((resolve) => (release = resolve));
  return { arrived, release };
});
vi.mock('../src/pages/AuditLogPage', async (importOriginal) => {
  await auditChunk.arrived;
  return importOriginal();
});

const rowOf = async (name: string) => (await screen.findByText(name, { selector: '.key-name, .focusable-name' })).closest('tr')!;

describe('a page in a chunk of its own', () => {
  it('says it is loading, under the organization and its links, until its chunk arrives, and forgets the tokens of the page left', async () => {
    const api = acme();
    const ci = api.key('acme', { name: 'ci' });
    const { user } = await renderConsole(api);
    await user.click(within(await rowOf('ci')).getByRole('button', { name: 'Reveal key' }));
    expect(await screen.findByText(ci.value)).toBeInTheDocument();

    await user.click(screen.getByRole('link', { name: 'Audit log' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Loading the page…');
    expect(screen.getByRole('navigation', { name: 'Organization' })).toBeInTheDocument();
    // The keys page is gone, not hidden while the next page loads: its token with it.
    expect(screen.queryByText(ci.value)).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    await expectAccessible();

    // Back before the audit log arrived: the keys page starts afresh, its token masked again.
    await user.click(screen.getByRole('link', { name: 'API keys' }));
    expect(await screen.findByText(ci.masked_value)).toBeInTheDocument();
    expect(screen.queryByText(ci.value)).not.toBeInTheDocument();

    await user.click(screen.getByRole('link', { name: 'Audit log' }));
    auditChunk.release();
    expect(await screen.findByRole('heading', { name: 'Audit log' })).toBeInTheDocument();
    expect(screen.queryByText('Loading the page…')).not.toBeInTheDocument();
  });
});
