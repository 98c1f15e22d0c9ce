import { createContext, useContext } from 'react';
import { UNSTABLE_ToastQueue as ToastQueue } from 'react-aria-components';

/**
 * Short confirmations ("Copied to clipboard", "API key successfully rotated") as react-aria
 * toasts: announced by screen readers, reachable with F6, dismissed after a few seconds. The
 * queue is here; the region that shows it is `Toaster`, a chunk of its own.
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
