import { type INavigator, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import type { ConsoleConfig } from './config';

/**
 * Sign-in with OpenID Connect, authorization code + PKCE, through oidc-client-ts. The ID token is
 * the management API's bearer token (API.md §3). It lives in `sessionStorage` only (this tab, gone
 * when the tab closes or on sign-out), never in `localStorage`, and never in a URL: the issuer
 * sends back a one-time code, which is exchanged for the token by a POST.
 */
export interface Session {
  email: string;
  idToken: string;
}

export interface Auth {
  /** Sends the browser to the issuer; `returnTo` (the console's `#/…` route) is restored afterwards. */
  signIn(returnTo: string): Promise<void>;
  /** Whether this page load is the issuer sending the browser back (`?code=…&state=…`, or `?error=…`). */
  isCallback(): boolean;
  /** Exchanges the code for the tokens and puts the route the sign-in started from back in the address bar. */
  completeSignIn(): Promise<void>;
  /** The current session, or null when signed out or the token has expired. */
  session(): Promise<Session | null>;
  /** Forgets the tokens (and any unfinished sign-in) of this tab. */
  signOut(): Promise<void>;
}

interface SignInState {
  returnTo: string;
}

export function createAuth(config: ConsoleConfig, navigator?: INavigator): Auth {
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  const manager = new UserManager(
    {
      authority: config.authority,
      client_id: config.clientId,
      redirect_uri: config.redirectUri,
      response_type: 'code',
      scope: config.scope,
      userStore: store,
      stateStore: store,
      // No hidden iframes (a CSP with frame-ancestors 'none' at the issuer forbids them) and no
      // extra calls: the ID token carries the email the console shows.
      automaticSilentRenew: false,
      monitorSession: false,
      loadUserInfo: false,
    },
    navigator,
  );

  return {
    async signIn(returnTo) {
      await manager.signinRedirect({ state: { returnTo } satisfies SignInState });
    },
    isCallback() {
      const params = new URLSearchParams(window.location.search);
      return params.has('state') && (params.has('code') || params.has('error'));
    },
    async completeSignIn() {
      // The code is single-use, but it has no business staying in the address bar or the history.
      const page = new URL(config.redirectUri).pathname;
      try {
        const user = await manager.signinRedirectCallback();
        const returnTo = (user.state as SignInState | undefined)?.returnTo ?? '';
        window.history.replaceState(null, '', page + (returnTo.startsWith('#/') ? returnTo : ''));
      } catch (error) {
        window.history.replaceState(null, '', page);
        throw error;
      }
    },
    async session() {
      const user = await manager.getUser();
      if (!user || user.expired || !user.id_token) return null;
      const email = typeof user.profile.email === 'string' ? user.profile.email : user.profile.sub;
      return { email, idToken: user.id_token };
    },
    async signOut() {
      await manager.removeUser();
      await manager.clearStaleState();
    },
  };
}
