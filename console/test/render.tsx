import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import type { INavigator } from 'oidc-client-ts';
import { User, WebStorageStateStore } from 'oidc-client-ts';
import { expect } from 'vitest';
import { App } from '../src/app/App';
import { type Auth, createAuth } from '../src/auth';
import type { ConsoleConfig } from '../src/config';
import { API, CLIENT_ID, CONSOLE_URL, FakeIssuer, FakeKeyward, ISSUER, idToken } from './fake-api';
import { server } from './setup';

export const config: ConsoleConfig = {
  authority: ISSUER,
  clientId: CLIENT_ID,
  redirectUri: CONSOLE_URL,
  apiBaseUrl: API,
  scope: 'openid email',
};

/** A navigator that records where oidc-client-ts would send the browser, instead of leaving jsdom. */
export class RecordingNavigator implements INavigator {
  readonly urls: string[] = [];
  async prepare() {
    return {
      navigate: async ({ url }: { url: string }) => {
        this.urls.push(url);
        return new Promise<never>(() => {});
      },
      close: () => {},
    };
  }
  async callback() {}
}

/** What a completed sign-in leaves in this tab: oidc-client-ts's user record, in sessionStorage. */
export async function storeSession(email: string, expiresInSeconds = 3600): Promise<void> {
  const user = new User({
    id_token: idToken(email, expiresInSeconds),
    access_token: '',
    token_type: 'Bearer',
    profile: { sub: `dev|${email}`, email, iss: ISSUER, aud: CLIENT_ID, exp: 0, iat: 0 },
    expires_at: Math.floor(Date.now() / 1000) + expiresInSeconds,
  });
  await new WebStorageStateStore({ store: window.sessionStorage }).set(`user:${ISSUER}:${CLIENT_ID}`, user.toStorageString());
}

interface Options {
  /** Signed in as this email (the default), or signed out with null. */
  signedInAs?: string | null;
  /** The console's route, e.g. `#/organizations/acme/api_keys`. */
  route?: string;
  navigator?: INavigator;
  /** The issuer of an earlier render, when this render is the page load that follows a redirect. */
  issuer?: FakeIssuer;
}

/** Renders the console as a page load would: the fake API and issuer answer over MSW. */
export async function renderConsole(
  api: FakeKeyward,
  { signedInAs = 'admin@acme.test', route = '', navigator, issuer = new FakeIssuer() }: Options = {},
) {
  server.use(...api.handlers(), ...issuer.handlers());
  if (signedInAs) await storeSession(signedInAs);
  window.history.replaceState(null, '', `/console/${route}`);
  const user = userEvent.setup();
  const auth: Auth = createAuth(config, navigator);
  const view = render(<App config={config} auth={auth} />);
  return { user, auth, issuer, view };
}

/** The usual organization: Acme, with an admin, a member, and the keys a test adds. */
export function acme(): FakeKeyward {
  return new FakeKeyward().organization('acme', 'Acme', { 'admin@acme.test': 'admin', 'member@acme.test': 'member' });
}

/**
 * No accessibility violation that axe-core rates serious or critical on the page as it is now.
 * Colour contrast needs a real layout engine: the browser tests (phase B) check it.
 */
export async function expectAccessible(): Promise<void> {
  const results = await axe.run(document.body, { resultTypes: ['violations'], rules: { 'color-contrast': { enabled: false } } });
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
  expect(serious).toEqual([]);
}

/** Presses Tab until `element` has focus, as a keyboard user would reach it (fails if it never does). */
export async function tabTo(user: ReturnType<typeof userEvent.setup>, element: Element, presses = 40): Promise<void> {
  for (let i = 0; i < presses && document.activeElement !== element; i++) await user.tab();
  expect(element).toHaveFocus();
}

export { screen };
