import { Button } from 'react-aria-components';
import { errorMessage } from '../api/errors';

/** An API or console error as a message the admin can act on, with a retry where one makes sense. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="message message-error" role="alert">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <Button className="button" onPress={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
