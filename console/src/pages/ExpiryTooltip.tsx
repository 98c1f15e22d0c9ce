import type { DOMAttributes, RefObject } from 'react';
import { Provider, Tooltip, TooltipContext, TooltipTriggerStateContext } from 'react-aria-components';
import type { TooltipTriggerState } from 'react-stately/useTooltipTriggerState';
import { formatDateTime } from '../ui/format';

interface ExpiryTooltipProps {
  /** The expiring name's trigger (KeyRow, through react-aria's tooltip trigger hooks). */
  state: TooltipTriggerState;
  triggerRef: RefObject<HTMLElement | null>;
  tooltipProps: DOMAttributes<HTMLElement>;
  expiresAt: string;
}

/**
 * The tooltip of an expiring key's name (API.md §7), with react-aria's positioning code, in a chunk
 * of its own: KeyRow renders it from the start, so the chunk is fetched as soon as the list shows,
 * and it draws nothing until shown. It gets what react-aria's TooltipTrigger would give it.
 */
export function ExpiryTooltip({ state, triggerRef, tooltipProps, expiresAt }: ExpiryTooltipProps) {
  return (
    <Provider
      values={[
        [TooltipTriggerStateContext, state],
        [TooltipContext, { ...tooltipProps, triggerRef }],
      ]}
    >
      <Tooltip className="tooltip" placement="top">
        The key expires on {formatDateTime(expiresAt)}
      </Tooltip>
    </Provider>
  );
}
