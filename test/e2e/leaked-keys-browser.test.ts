import { loadOrCreateSigner, postReport } from '../../local/secret-scanning';
import { browserSession, expectAccessible, signIn } from './browser/browser';
import { consumer, newOrganization, stack } from './support';

/**
 * API.md §10 in a real browser against `npm start`: the Settings radio group **When a key is found
 * in public**, and the audit log saying where a reported key was found.
 */

const session = browserSession();

describe('leaked keys in the console', () => {
  it('saves Only notify admins; a reported key then keeps working and the audit log says where it was found', async () => {
    const org = await newOrganization('leak-console');
    await signIn(session.page, org.adminEmail);
    await session.page.getByRole('link', { name: 'Settings' }).click();

    const group = session.page.getByRole('radiogroup', { name: 'When a key is found in public' });
    await group.waitFor();
    expect(await group.getByRole('radio', { name: 'Rotate it now' }).isChecked()).toBe(true);
    await expectAccessible(session.page, 'Settings');
    await group.getByText('Only notify admins').click();
    expect(await group.getByRole('radio', { name: 'Only notify admins' }).isChecked()).toBe(true);
    await session.page.getByRole('button', { name: 'Save settings' }).click();
    await session.page.getByText('Settings saved').waitFor();

    const url = 'https://github.com/acme/app/blob/abc123/.env';
    const answer = await postReport(
      `${stack.url}/v1/secret_scanning/github`,
      [{ token: org.key, url, source: 'commit' }],
      loadOrCreateSigner(stack.stateDir),
    );
    expect(answer.status).toBe(200);
    expect((await consumer('GET', '/v1/customers', org.key)).status).toBe(200);

    await session.page.getByRole('link', { name: 'Audit log' }).click();
    // A fresh load, so the "Settings saved" toast is gone before the page is checked.
    await session.page.reload();
    const row = session.page.getByRole('row').filter({ hasText: 'api_key.leaked' });
    await row.getByText(`found in public (commit) at ${url}: admins notified`).waitFor();
    await expectAccessible(session.page, 'Audit log with a leak');
  });
});
