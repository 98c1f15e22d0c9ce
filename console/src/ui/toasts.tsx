import { createContext, useContext } from 'react';
import {
  Button,
  Text,
  UNSTABLE_Toast as Toast,
  UNSTABLE_ToastContent as ToastContent,
  UNSTABLE_ToastQueue as ToastQueue,
  UNSTABLE_ToastRegion as ToastRegion,
} from 'react-aria-components';

/**
 * Short confirmations ("Copied to clipboard", "API key successfully rotated") as react-aria
 * toasts: announced by screen readers, reachable with F6, dismissed after a few seconds.
 */
export type Toasts = ToastQueue<string>;

export const newToastQueue = (): Toasts => new ToastQueue<string>({ maxVisibleToasts: 3 });

const ToastContext = createContext<Toasts | null>(null);
export const ToastProvider = ToastContext.Provider;

/** Shows `message` for 5 seconds (the shortest react-aria allows, for people who read slowly). */
export function useToast(): (message: string) => void {
  const queue = useContext(ToastContext);
  if (!queue) throw new Error('useToast outside ToastProvider');
  return (message) => queue.add(message, { timeout: 5000 });
}

export function Toaster({ queue }: { queue: Toasts }) {
  return (
    <ToastRegion queue={queue} className="toasts">
      {({ toast }) => (
        <Toast toast={toast} className="toast">
          <ToastContent>
            <Text slot="title">{toast.content}</Text>
          </ToastContent>
          <Button slot="close" className="toast-close" aria-label="Dismiss">
            ×
          </Button>
        </Toast>
      )}
    </ToastRegion>
  );
}
