import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { firstLoadFiles, readManifest } from '../../console/scripts/bundle-size';
import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import { browserSession, CONSOLE_URL, eventually, expectAccessible, keyRow, screenshot, shownDateTime, signIn } from './browser/browser';
import { addMember, admin, newOrganization, stack, type TestOrganization } from './support';

/**
 * API.md §7 in a real browser (Chromium) against `npm start`'s stack: every bullet, driven by the
 * visible names and accessible names the contract fixes, with an axe-core check of each page.
 * Each scenario has its own organization, so it never depends on another's keys.
 */

const session = browserSession();

/** A token's masked value (API.md §2). */
const masked = (token: string) => `kw_••••••••${token.slice(-4)}`;
const keysUrl = (org: TestOrganization) => `${CONSOLE_URL}#/organizations/${org.id}/api_keys`;

async function createKey(org: TestOrganization, body: Record<string, unknown> = {}) {
  const reply = await admin('POST', org.keysPath, { jwt: org.jwt, body });
  expect(reply.status).toBe(201);
  return reply.body.api_key as { id: string; masked_value: string; value: string };
}

async function openMenu(rowText: string) {
  await keyRow(session.page, rowText).getByRole('button', { name: 'More options' }).click();
  const menu = session.page.getByRole('menu');
  await menu.waitFor();
  return menu;
}

async function menuItems(): Promise<string[]> {
  return (await session.page.getByRole('menu').getByRole('menuitem').allTextContents()).map((text) => text.trim());
}

describe('sign-in and sign-out', () => {
  it('signs in at the dev issuer, keeps the token out of URLs and localStorage, and after Sign out a reload shows Sign in', async () => {
    const org = await newOrganization('signin');
    await session.page.goto(CONSOLE_URL);
    await session.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expectAccessible(session.page, 'signed out');

    await session.page.getByRole('button', { name: 'Sign in' }).click();
    await session.page.getByRole('textbox', { name: 'Email' }).waitFor();
    expect(session.page.url()).toContain('/local-issuer/authorize');
    await expectAccessible(session.page, "the dev issuer's sign-in page");
    await session.page.getByRole('textbox', { name: 'Email' }).fill(org.adminEmail);
    // Without the state directory's sign-in code, the page asks again (API.md §6).
    await session.page.getByRole('textbox', { name: 'Sign-in code' }).fill('AAAA-BBBB-CCCC-DDDD');
    await session.page.getByRole('button', { name: 'Sign in' }).click();
    await session.page.getByText('That is not the sign-in code of this local stack').waitFor();
    expect(await session.page.getByRole('textbox', { name: 'Sign-in code' }).getAttribute('aria-invalid')).toBe('true');
    expect(session.page.url()).toContain('/local-issuer/authorize');
    await session.page.getByRole('textbox', { name: 'Sign-in code' }).fill(stack.signInCode);
    await session.page.getByRole('button', { name: 'Sign in' }).click();

    // An admin of one organization goes straight to its keys.
    await session.page.getByRole('table').waitFor();
    expect(session.page.url()).toBe(keysUrl(org));
    const storage = await session.page.evaluate<{ local: string; session: string }>(
      '({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage) })',
    );
    expect(storage.local).not.toMatch(/eyJ/);
    expect(storage.session).toMatch(/eyJ/);
    const history = await session.page.evaluate<string>('window.location.href');
    expect(history).not.toMatch(/code=|id_token|eyJ/);

    await session.page.getByRole('button', { name: 'Sign out' }).click();
    await session.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await session.page.reload();
    await session.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await session.page.getByRole('table').count()).toBe(0);
    expect(await session.page.evaluate<string>('JSON.stringify(sessionStorage) + JSON.stringify(localStorage)')).not.toMatch(/eyJ/);
  });
});

describe('organizations', () => {
  it('lets an admin of several organizations pick one by name, and Switch organization returns to the picker', async () => {
    const first = await newOrganization('pick-a');
    const second = await newOrganization('pick-b');
    await addMember(second.id, first.adminEmail, 'admin');

    await signIn(session.page, first.adminEmail);
    await session.page.getByRole('button', { name: 'pick-b' }).waitFor();
    await expectAccessible(session.page, 'organization picker');
    await session.page.getByRole('button', { name: 'pick-b' }).click();
    await keyRow(session.page, masked(second.key)).waitFor();
    expect(session.page.url()).toBe(keysUrl(second));

    await session.page.getByRole('button', { name: 'Switch organization' }).click();
    await session.page.getByRole('button', { name: 'pick-a' }).click();
    await keyRow(session.page, masked(first.key)).waitFor();
  });

  it('tells a member who is not an admin so, and shows no keys', async () => {
    const org = await newOrganization('member');
    const email = `member@${org.id}.test`;
    await addMember(org.id, email, 'member');

    await signIn(session.page, email);
    await session.page.getByText('You are not an admin of this organization.').waitFor();
    expect(await session.page.getByRole('table').count()).toBe(0);
    await expectAccessible(session.page, 'not an admin');
  });
});

describe('the API keys list', () => {
  it('shows each key with its name, masked token, last use and creation; Reveal, Hide and Copy work', async () => {
    const org = await newOrganization('list');
    const named = await createKey(org, { name: 'billing service' });
    await signIn(session.page, org.adminEmail);
    const table = session.page.getByRole('table');
    await table.waitFor();

    const headers = (await table.getByRole('columnheader').allTextContents()).map((text) => text.trim());
    expect(headers).toEqual(['Name', 'Token', 'Last used', 'Requests (24h)', 'Created']);
    const unnamed = keyRow(session.page, masked(org.key));
    await unnamed.getByRole('cell', { name: 'Unnamed key' }).waitFor();
    await unnamed.getByText(masked(org.key)).waitFor();
    const row = keyRow(session.page, 'billing service');
    await row.getByText(named.masked_value).waitFor();
    await expectAccessible(session.page, 'API keys list');

    await row.getByRole('button', { name: 'Reveal key' }).click();
    await row.getByText(named.value).waitFor();
    await row.getByRole('button', { name: 'Hide key' }).click();
    await row.getByText(named.masked_value).waitFor();
    expect(await row.getByText(named.value).count()).toBe(0);

    await row.getByRole('button', { name: 'Copy key' }).click();
    await session.page.getByText('Copied to clipboard').waitFor();
    expect(await session.page.evaluate<string>('navigator.clipboard.readText()')).toBe(named.value);

    // Each reveal went through the API, which audits it.
    const audit = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    expect(audit.body.audit_events.filter((event: { type: string }) => event.type === 'api_key.revealed').length).toBeGreaterThanOrEqual(2);
  });

  it('marks a key with a pending expiry with an Expiring key image and a tooltip giving the date, and offers no second rotation', async () => {
    const org = await newOrganization('expiring');
    const rotated = await admin('POST', `${org.keysPath}/${org.keyId}/rotate`, { jwt: org.jwt, body: { expires_in: '24h' } });
    const expiresAt: string = rotated.body.rotated_api_key.expires_at;
    await signIn(session.page, org.adminEmail);

    const old = keyRow(session.page, masked(org.key));
    await old.getByRole('img', { name: 'Expiring key' }).waitFor();
    const name = old.getByText('Unnamed key');
    await name.focus();
    const tooltip = session.page.getByRole('tooltip');
    await tooltip.waitFor();
    const expected = `The key expires on ${shownDateTime(expiresAt)}`;
    expect((await tooltip.textContent())?.trim()).toBe(expected);
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    expect(describedBy.split(' ')).toContain(await tooltip.getAttribute('id'));
    await expectAccessible(session.page, 'list with an expiring key and its tooltip');
    await screenshot(session.page, 'list');
    await session.page.keyboard.press('Escape');

    await openMenu(masked(org.key));
    // The old key may be deleted (it has a pending expiry), never rotated again.
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Edit key', 'Delete key']);
    await session.page.keyboard.press('Escape');
    await openMenu(rotated.body.api_key.masked_value);
    // The new key is the last one without a pending expiry: it cannot be deleted.
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key']);
  });

  it('offers Delete key only while another key without a pending expiry remains', async () => {
    const org = await newOrganization('menu');
    await signIn(session.page, org.adminEmail);
    await openMenu(masked(org.key));
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key']);
    await expectAccessible(session.page, 'row menu');
    await session.page.keyboard.press('Escape');

    const second = await createKey(org, { name: 'second' });
    await session.page.reload();
    await openMenu(second.masked_value);
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
  });

  it('offers Rotate key for keys with their own or the policy’s expiry, and Delete key wherever the API allows it (issue 16)', async () => {
    const org = await newOrganization('expiry-menus');
    const policy = await admin('PATCH', `/v1/organizations/${org.id}/settings`, { jwt: org.jwt, body: { max_key_lifetime_days: 30 } });
    expect(policy.status).toBe(200);
    const byPolicy = await createKey(org, { name: 'by policy' });
    const own = await createKey(org, { name: 'own expiry', expires_in: '7d' });
    await signIn(session.page, org.adminEmail);

    // The first key has no expiry; the policy's key counts as non-expiring too (API.md §8), so
    // both may be deleted, and each may be rotated.
    await openMenu(masked(org.key));
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    await session.page.keyboard.press('Escape');
    await openMenu(byPolicy.masked_value);
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    await session.page.keyboard.press('Escape');
    await openMenu(own.masked_value);
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key', 'Delete key']);
    await session.page.keyboard.press('Escape');

    // With the first key deleted, the policy's key is the last non-expiring one: no Delete key.
    const deleted = await admin('DELETE', `${org.keysPath}/${org.keyId}`, { jwt: org.jwt });
    expect(deleted.status).toBe(200);
    await session.page.reload();
    await openMenu(byPolicy.masked_value);
    expect(await menuItems()).toEqual(['Reveal key', 'Copy key', 'Rotate key', 'Edit key']);
  });
});

describe('the Rotate API key dialog', () => {
  it('rotates at once by default, toasts, and shows the new key revealed until the page is reloaded', async () => {
    const org = await newOrganization('rotate');
    await signIn(session.page, org.adminEmail);
    await (await openMenu(masked(org.key))).getByRole('menuitem', { name: 'Rotate key' }).click();

    const dialog = session.page.getByRole('dialog', { name: 'Rotate API key' });
    await dialog.waitFor();
    await dialog.getByText('Never used').waitFor();
    const group = dialog.getByRole('radiogroup', { name: 'Expiration date' });
    const radios = await group
      .getByRole('radio')
      .evaluateAll((inputs) => inputs.map((input) => (input as unknown as { checked: boolean }).checked));
    expect(radios).toEqual([true, false, false, false, false]);
    for (const label of ['Immediately', 'In 1 hour', 'In 24 hours', 'In 48 hours', 'In 7 days']) {
      await group.getByRole('radio', { name: label }).waitFor({ state: 'attached' });
    }
    await dialog.getByRole('button', { name: 'Cancel' }).waitFor();
    await expectAccessible(session.page, 'Rotate API key dialog');
    await screenshot(session.page, 'rotate-dialog');

    await dialog.getByRole('button', { name: 'Rotate API key' }).click();
    await session.page.getByText('API key successfully rotated').waitFor();
    await dialog.waitFor({ state: 'detached' });
    // The old key is gone; the new one is shown in full, with Hide key.
    await eventually('the old key leaves the list', async () => (await keyRow(session.page, masked(org.key)).count()) === 0);
    const rows = session.page.getByRole('row').filter({ has: session.page.getByRole('button', { name: 'Hide key' }) });
    const token = (await rows.locator('code').textContent()) ?? '';
    expect(token).toMatch(/^kw_[0-9A-Za-z]{36}$/);
    const consumer = await fetch(`${stack.url}/v1/customers`, { headers: { 'x-api-key': token } });
    expect(consumer.status).toBe(200);

    await session.page.reload();
    await session.page.getByRole('table').waitFor();
    expect(await session.page.getByText(token).count()).toBe(0);
    await session.page.getByText(masked(token)).waitFor();
  });

  it('schedules a rotation, is keyboard-usable, traps focus and closes on Escape', async () => {
    const org = await newOrganization('rotate-later');
    await signIn(session.page, org.adminEmail);
    const more = keyRow(session.page, masked(org.key)).getByRole('button', { name: 'More options' });
    await more.focus();
    await session.page.keyboard.press('Enter');
    await session.page.getByRole('menu').waitFor();
    await session.page.getByRole('menuitem', { name: 'Rotate key' }).focus();
    await session.page.keyboard.press('Enter');
    const dialog = session.page.getByRole('dialog', { name: 'Rotate API key' });
    await dialog.waitFor();

    // Focus never leaves the dialog, however far one tabs.
    for (let i = 0; i < 8; i++) {
      await session.page.keyboard.press('Tab');
      expect(await dialog.evaluate((element) => element.contains(element.ownerDocument.activeElement))).toBe(true);
    }
    await session.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await more.click();
    await session.page.getByRole('menuitem', { name: 'Rotate key' }).click();
    await dialog.getByRole('radio', { name: 'In 1 hour' }).check();
    await dialog.getByRole('button', { name: 'Rotate API key' }).click();
    await session.page.getByText('API key successfully rotated').waitFor();
    await keyRow(session.page, masked(org.key)).getByRole('img', { name: 'Expiring key' }).waitFor();
  });

  it('shows an API error as a message in the dialog', async () => {
    const org = await newOrganization('rotate-error');
    await signIn(session.page, org.adminEmail);
    await (await openMenu(masked(org.key))).getByRole('menuitem', { name: 'Rotate key' }).click();
    const dialog = session.page.getByRole('dialog', { name: 'Rotate API key' });
    await dialog.waitFor();
    // Another admin schedules a rotation meanwhile: the API refuses this one (rotation_already_scheduled).
    await admin('POST', `${org.keysPath}/${org.keyId}/rotate`, { jwt: org.jwt, body: { expires_in: '1h' } });
    await dialog.getByRole('button', { name: 'Rotate API key' }).click();
    await dialog.getByRole('alert').getByText('A rotation of this key is already scheduled', { exact: false }).waitFor();
  });
});

describe('the Delete API key dialog', () => {
  it('says the deletion is immediate, shows the last use, and deletes the key', async () => {
    const org = await newOrganization('delete');
    const doomed = await createKey(org, { name: 'doomed' });
    await fetch(`${stack.url}/v1/customers`, { headers: { 'x-api-key': doomed.value } });
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    const lastUsed: string = listed.body.api_keys.find((key: { id: string }) => key.id === doomed.id).last_used_at;
    await signIn(session.page, org.adminEmail);
    await (await openMenu('doomed')).getByRole('menuitem', { name: 'Delete key' }).click();

    const dialog = session.page.getByRole('dialog', { name: 'Delete API key' });
    await dialog.waitFor();
    await dialog.getByText('immediately', { exact: false }).waitFor();
    await dialog.getByText(`Last used: ${shownDateTime(lastUsed)}`).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).waitFor();
    await expectAccessible(session.page, 'Delete API key dialog');
    await dialog.getByRole('button', { name: 'Delete API key' }).click();
    await dialog.waitFor({ state: 'detached' });
    await eventually('the deleted key leaves the list', async () => (await keyRow(session.page, 'doomed').count()) === 0);
    const consumer = await fetch(`${stack.url}/v1/customers`, { headers: { 'x-api-key': doomed.value } });
    expect(consumer.status).toBe(401);
  });
});

describe('the Add an API key and Edit an API key pages', () => {
  it('adds a key with the permissions chosen, select-all boxes following the column, and the API validation error next to Name', async () => {
    const org = await newOrganization('add');
    await signIn(session.page, org.adminEmail);
    await session.page.getByRole('button', { name: 'Add a key' }).click();
    await session.page.getByRole('heading', { name: 'Add an API key' }).waitFor();

    const readAll = session.page.getByRole('checkbox', { name: 'Select all Read' });
    const writeAll = session.page.getByRole('checkbox', { name: 'Select all Write' });
    const table = session.page.getByRole('table');
    const headers = await table
      .getByRole('columnheader')
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('aria-label') ?? cell.textContent?.trim()));
    expect(headers).toEqual(['Resource', 'Read', 'Write']);
    expect(await table.getByRole('rowheader').count()).toBe(DEFAULT_RESOURCE_CATALOG.length);
    const boxes = await session.page
      .getByRole('checkbox')
      .evaluateAll((inputs) => inputs.map((input) => (input as unknown as { checked: boolean }).checked));
    expect(boxes.every(Boolean)).toBe(true);
    const mixed = (name: string) =>
      session.page.getByRole('checkbox', { name }).evaluate((input) => (input as unknown as { indeterminate: boolean }).indeterminate);

    await session.page.getByRole('checkbox', { name: 'Read invoice', exact: true }).uncheck();
    expect(await mixed('Select all Read')).toBe(true);
    expect(await readAll.isChecked()).toBe(false);
    await writeAll.uncheck();
    expect(await session.page.getByRole('checkbox', { name: 'Write customer', exact: true }).isChecked()).toBe(false);
    expect(await mixed('Select all Write')).toBe(false);
    await session.page.getByRole('checkbox', { name: 'Write customer', exact: true }).check();
    await readAll.click();
    expect(await readAll.isChecked()).toBe(true);
    expect(await session.page.getByRole('checkbox', { name: 'Read invoice', exact: true }).isChecked()).toBe(true);
    await expectAccessible(session.page, 'Add an API key');
    await screenshot(session.page, 'permissions');

    // The console does not cut the name: the API judges it, and the page shows why it refused.
    const name = session.page.getByRole('textbox', { name: 'Name' });
    await name.fill('x'.repeat(101));
    expect(await name.inputValue()).toHaveLength(101);
    await session.page.getByRole('button', { name: 'Add API key' }).click();
    await eventually('the name is marked invalid', async () => (await name.getAttribute('aria-invalid')) === 'true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    const described = await session.page.evaluate(
      (ids) =>
        ids
          .split(' ')
          .map(
            (id) =>
              (
                globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }
              ).document.getElementById(id)?.textContent ?? '',
          )
          .join(' '),
      describedBy,
    );
    expect(described).toMatch(/100/);
    await expectAccessible(session.page, 'Add an API key with a validation error');

    await name.fill('reporting');
    await session.page.getByRole('button', { name: 'Add API key' }).click();
    await keyRow(session.page, 'reporting').waitFor();
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    const added = listed.body.api_keys.find((key: { name: string }) => key.name === 'reporting');
    expect(added.permissions.customer).toEqual(['read', 'write']);
    expect(added.permissions.invoice).toEqual(['read']);
  });

  it('edits with If-Match; a key changed meanwhile gives "This key was changed by someone else" and Reload', async () => {
    const org = await newOrganization('edit');
    await signIn(session.page, org.adminEmail);
    await (await openMenu(masked(org.key))).getByRole('menuitem', { name: 'Edit key' }).click();
    await session.page.getByRole('heading', { name: 'Edit an API key' }).waitFor();
    const name = session.page.getByRole('textbox', { name: 'Name' });
    expect(await name.inputValue()).toBe('');
    await expectAccessible(session.page, 'Edit an API key');

    const ifMatch: (string | undefined)[] = [];
    session.page.on('request', (request) => {
      if (request.method() === 'PATCH') ifMatch.push(request.headers()['if-match']);
    });
    await admin('PATCH', `${org.keysPath}/${org.keyId}`, { jwt: org.jwt, body: { name: 'renamed elsewhere' } });
    await name.fill('mine');
    await session.page.getByRole('button', { name: 'Save edits' }).click();
    await session.page.getByText('This key was changed by someone else').waitFor();
    expect(ifMatch).toEqual(['"1"']);
    await expectAccessible(session.page, 'Edit an API key after a conflict');

    await session.page.getByRole('button', { name: 'Reload' }).click();
    await eventually('the form shows the current name', async () => (await name.inputValue()) === 'renamed elsewhere');
    await name.fill('mine');
    await session.page.getByRole('button', { name: 'Save edits' }).click();
    await keyRow(session.page, 'mine').waitFor();
    expect(ifMatch).toEqual(['"1"', '"2"']);
  });
});

describe('the Allowed IP addresses field (API.md §9)', () => {
  /** The text of the elements a control's aria-describedby names. */
  async function description(control: ReturnType<Page['getByRole']>): Promise<string> {
    const ids = (await control.getAttribute('aria-describedby')) ?? '';
    return session.page.evaluate(
      (list) =>
        list
          .split(' ')
          .map(
            (id) =>
              (
                globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }
              ).document.getElementById(id)?.textContent ?? '',
          )
          .join(' '),
      ids,
    );
  }

  it('adds a key restricted to blocks (one per line), shows the API error next to the field, and edits or clears them', async () => {
    const org = await newOrganization('allowlist-ui');
    await signIn(session.page, org.adminEmail);
    await session.page.getByRole('button', { name: 'Add a key' }).click();
    await session.page.getByRole('heading', { name: 'Add an API key' }).waitFor();
    const field = session.page.getByRole('textbox', { name: 'Allowed IP addresses' });
    expect(await field.inputValue()).toBe('');
    expect(await description(field)).toMatch(/one .* per line/i);

    await session.page.getByRole('textbox', { name: 'Name' }).fill('office');
    await field.fill('203.0.113.0/24\n10.0.0.0/33');
    await session.page.getByRole('button', { name: 'Add API key' }).click();
    await eventually('the field is marked invalid', async () => (await field.getAttribute('aria-invalid')) === 'true');
    expect(await description(field)).toMatch(/10\.0\.0\.0\/33/);
    await expectAccessible(session.page, 'Add an API key with an invalid allowed IP address');

    await field.fill('203.0.113.0/24\n\n2001:db8::/32\n');
    await session.page.getByRole('button', { name: 'Add API key' }).click();
    await keyRow(session.page, 'office').waitFor();
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    const added = listed.body.api_keys.find((key: { name: string }) => key.name === 'office');
    expect(added.allowed_ips).toEqual(['203.0.113.0/24', '2001:db8::/32']);

    await (await openMenu('office')).getByRole('menuitem', { name: 'Edit key' }).click();
    await session.page.getByRole('heading', { name: 'Edit an API key' }).waitFor();
    const editField = session.page.getByRole('textbox', { name: 'Allowed IP addresses' });
    await eventually('the form shows the blocks', async () => (await editField.inputValue()) === '203.0.113.0/24\n2001:db8::/32');
    await screenshot(session.page, 'allowed-ips');
    await editField.fill('');
    await session.page.getByRole('button', { name: 'Save edits' }).click();
    await keyRow(session.page, 'office').waitFor();
    const read = await admin('GET', `${org.keysPath}/${added.id}`, { jwt: org.jwt });
    expect(read.body.api_key.allowed_ips).toBeNull();
  });
});

describe('the audit log', () => {
  it('lists events newest first with type, actor, time and key, a page at a time', async () => {
    const org = await newOrganization('audit');
    for (let i = 0; i < 21; i++) await admin('POST', `${org.keysPath}/${org.keyId}/reveal`, { jwt: org.jwt });
    await admin('PATCH', `${org.keysPath}/${org.keyId}`, { jwt: org.jwt, body: { name: 'audited' } });
    await signIn(session.page, org.adminEmail);
    await session.page.getByRole('link', { name: 'Audit log' }).click();

    const table = session.page.getByRole('table');
    await table.waitFor();
    const headers = (await table.getByRole('columnheader').allTextContents()).map((text) => text.trim());
    expect(headers).toEqual(['Type', 'Actor', 'Time', 'Key']);
    const first = session.page.getByRole('row').nth(1);
    await first.getByText('api_key.updated').waitFor();
    await first.getByText(org.adminEmail).waitFor();
    await first.getByText('audited').waitFor();
    await expectAccessible(session.page, 'Audit log');

    expect(await session.page.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
    await session.page.getByRole('button', { name: 'Next page' }).click();
    // The oldest event, the key's creation with its organization (actor: system), is on the second page.
    const created = session.page.getByRole('row').filter({ hasText: 'api_key.created' });
    await created.getByRole('cell', { name: 'system', exact: true }).waitFor();
    await session.page.getByRole('button', { name: 'Previous page' }).click();
    await session.page.getByText('api_key.updated').waitFor();
  });
});

describe('the pages in chunks of their own', () => {
  // The build the stack serves, and what its first load is (console/scripts/bundle-size.ts).
  const manifest = readManifest(join(__dirname, '..', '..', 'console', 'dist'));
  const chunkPath = (page: string) => `/console/${Object.values(manifest).find((chunk) => chunk.src === `src/pages/${page}.tsx`)!.file}`;

  it('loads the keys page without the other pages, fetches one when opened, and a deep link to it survives a reload, under the CSP', async () => {
    const org = await newOrganization('chunks');
    await signIn(session.page, org.adminEmail);
    const requested: string[] = [];
    const problems: string[] = [];
    session.page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    session.page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    session.page.on('pageerror', (error) => problems.push(error.message));

    await session.page.reload();
    await keyRow(session.page, masked(org.key)).waitFor();
    await session.page.waitForLoadState('networkidle');
    for (const file of firstLoadFiles(manifest)) expect(requested).toContain(file === 'index.html' ? '/console/' : `/console/${file}`);
    for (const other of ['ApiKeyFormPage', 'AuditLogPage', 'SettingsPage', 'KeyDialogs']) expect(requested).not.toContain(chunkPath(other));

    await session.page.getByRole('link', { name: 'Settings' }).click();
    await session.page.getByRole('textbox', { name: 'Maximum key lifetime (days)' }).waitFor();
    expect(requested).toContain(chunkPath('SettingsPage'));
    await session.page.reload();
    await session.page.getByRole('textbox', { name: 'Maximum key lifetime (days)' }).waitFor();
    expect(session.page.url()).toBe(`${CONSOLE_URL}#/organizations/${org.id}/settings`);
    // A script the CSP refused, or a chunk that failed, would be an error here.
    expect(problems).toEqual([]);
  });

  it('leaves a message and a way back when a page cannot be fetched', async () => {
    const org = await newOrganization('chunk-lost');
    await signIn(session.page, org.adminEmail);
    await keyRow(session.page, masked(org.key)).waitFor();
    await session.page.route(`**${chunkPath('AuditLogPage')}`, (route) => route.abort('internetdisconnected'));

    await session.page.getByRole('link', { name: 'Audit log' }).click();
    const alert = session.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /^Something went wrong in the console: .*Failed to fetch dynamically imported module.*\. Reload the page to try again\.$/,
    );
    await session.page.getByRole('link', { name: 'Go to your organizations' }).waitFor();
    await expectAccessible(session.page, 'a page that could not be fetched');

    await session.page.unroute(`**${chunkPath('AuditLogPage')}`);
    await session.page.reload();
    await session.page.getByRole('heading', { name: 'Audit log' }).waitFor();
  });
});
