import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorBoundary, type FallbackProps } from 'react-error-boundary';
import { ApiError, createApiClient } from '../api/client';
import { SESSION_EXPIRED } from '../api/errors';
import type { Auth, Session } from '../auth';
import type { ConsoleConfig } from '../config';
import { newToastQueue, ToastProvider } from '../ui/toasts';
import { ConsoleContextProvider } from './context';
import { ConsoleRoutes } from './routes';
import { SignInPage } from './SignInPage';

// The toasts' region draws nothing until a toast is queued: its chunk comes after the first page.
const Toaster = lazy(() => import('../ui/Toaster').then((module) => ({ default: module.Toaster })));

type State = { status: 'starting' } | { status: 'signed-out'; message?: string } | { status: 'signed-in'; session: Session };

/** Completes a sign-in the issuer sent back, then reads the session this tab holds. */
async function start(auth: Auth): Promise<State> {
  let message: string | undefined;
  if (auth.isCallback()) {
    try {
      await auth.completeSignIn();
    } catch (error) {
      message = `Sign-in did not complete (${error instanceof Error ? error.message : String(error)}). Try again.`;
    }
  }
  const session = await auth.session();
  return session ? { status: 'signed-in', session } : { status: 'signed-out', message };
}

/** The whole console: signed out, it offers **Sign in**; signed in, the pages of the router. */
export function App({ config, auth }: { config: ConsoleConfig; auth: Auth }) {
  const [state, setState] = useState<State>({ status: 'starting' });
  // One start per page load, even when React runs effects twice: a sign-in code is single-use.
  const started = useRef<Promise<State> | null>(null);

  useEffect(() => {
    let current = true;
    started.current ??= start(auth);
    started.current.then(
      (next) => current && setState(next),
      (error: unknown) => current && setState({ status: 'signed-out', message: `Sign-in failed: ${String(error)}` }),
    );
    return () => {
      current = false;
    };
  }, [auth]);

  const end = useCallback(
    async (message?: string) => {
      await auth.signOut();
      setState({ status: 'signed-out', message });
    },
    [auth],
  );

  return (
    <ErrorBoundary FallbackComponent={Crash}>
      {state.status === 'starting' && (
        <p className="loading" role="status">
          Loading…
        </p>
      )}
      {state.status === 'signed-out' && <SignInPage auth={auth} message={state.message} />}
      {state.status === 'signed-in' && (
        <SignedIn config={config} session={state.session} onSignOut={() => void end()} onExpired={() => void end(SESSION_EXPIRED)} />
      )}
    </ErrorBoundary>
  );
}

interface SignedInProps {
  config: ConsoleConfig;
  session: Session;
  onSignOut: () => void;
  onExpired: () => void;
}

/** Everything that belongs to one session (API client, cache, toasts, new tokens) is dropped with it. */
function SignedIn({ config, session, onSignOut, onExpired }: SignedInProps) {
  const [queryClient] = useState(() => {
    // A 401 anywhere means the token expired or was refused: back to Sign in, with a reason.
    const onError = (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) onExpired();
    };
    return new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      // Errors are shown with a "Try again" button rather than retried behind the admin's back.
      defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false }, mutations: { retry: false } },
    });
  });
  const [toasts] = useState(newToastQueue);
  const [newKeys] = useState(() => new Map<string, string>());
  const context = useMemo(
    () => ({ api: createApiClient(config.apiBaseUrl, () => session.idToken), config, session, signOut: onSignOut, newKeys }),
    [config, session, onSignOut, newKeys],
  );

  return (
    <QueryClientProvider client={queryClient}>
      <ConsoleContextProvider value={context}>
        <ToastProvider value={toasts}>
          <ConsoleRoutes />
          <Suspense fallback={null}>
            <Toaster queue={toasts} />
          </Suspense>
        </ToastProvider>
      </ConsoleContextProvider>
    </QueryClientProvider>
  );
}

/** The last line of defence: an error no page caught still leaves a message and a way out. */
export function Crash({ error }: Pick<FallbackProps, 'error'>) {
  return (
    <main className="page">
      <div className="message message-error" role="alert">
        <h1>Something went wrong</h1>
        <p>The console hit an unexpected error: {error instanceof Error ? error.message : String(error)}</p>
        <p>
          <a href={window.location.pathname}>Reload the console</a>
        </p>
      </div>
    </main>
  );
}
