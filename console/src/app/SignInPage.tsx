import { useState } from 'react';
import { Button } from 'react-aria-components';
import type { Auth } from '../auth';

/** Signed out: one **Sign in** button that goes to the issuer (the dev issuer's page locally). */
export function SignInPage({ auth, message }: { auth: Auth; message?: string }) {
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const signIn = async () => {
    setPending(true);
    setFailure(null);
    try {
      await auth.signIn(window.location.hash);
    } catch (error) {
      setFailure(`The sign-in service could not be reached (${error instanceof Error ? error.message : String(error)}). Try again.`);
      setPending(false);
    }
  };

  return (
    <main className="page signin">
      <h1>keyward console</h1>
      <p>Manage your organization's API keys: reveal, copy, rotate, scope and delete them.</p>
      {(failure ?? message) && (
        <p className="message message-error" role="alert">
          {failure ?? message}
        </p>
      )}
      <Button className="button button-primary" onPress={() => void signIn()} isPending={pending}>
        Sign in
      </Button>
    </main>
  );
}
