import {
  Button,
  Text,
  UNSTABLE_Toast as Toast,
  UNSTABLE_ToastContent as ToastContent,
  UNSTABLE_ToastRegion as ToastRegion,
} from 'react-aria-components';
import type { Toasts } from './toasts';

/**
 * The region that shows the queue's toasts. It draws nothing until there is one, so it is a chunk
 * of its own, fetched once the console has rendered; a toast queued before it arrives still shows.
 */
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
