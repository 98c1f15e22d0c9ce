import { type RefObject, useRef } from 'react';
import type { AriaMenuOptions } from 'react-aria/useMenu';
import { Menu, MenuItem, Popover } from 'react-aria-components';
import type { MenuTriggerState } from 'react-stately/useMenuTriggerState';

/** What a key's row menu can do; the row decides which apply (API.md §7). */
export type KeyAction = 'toggle' | 'copy' | 'rotate' | 'edit' | 'delete';

interface KeyMenuProps {
  /** The row's **More options** button and its state (KeyRow, through react-aria's menu trigger hooks). */
  state: MenuTriggerState;
  triggerRef: RefObject<HTMLButtonElement | null>;
  menuProps: AriaMenuOptions<object>;
  revealLabel: 'Reveal key' | 'Hide key';
  canRotate: boolean;
  canDelete: boolean;
  onAction: (action: KeyAction) => void;
}

/**
 * A key's row menu, opened by **More options**. It is a chunk of its own (the collection and
 * overlay code of react-aria is most of what the list would otherwise load first): KeyRow renders
 * it from the start, so the chunk is fetched as soon as the list shows, and it draws nothing while closed.
 */
export function KeyMenu({ state, triggerRef, menuProps, revealLabel, canRotate, canDelete, onAction }: KeyMenuProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  return (
    // What react-aria's MenuTrigger gives its popover: the popover is a dialog named by the button.
    <Popover
      className="popover"
      placement="bottom end"
      trigger="MenuTrigger"
      triggerRef={triggerRef}
      scrollRef={scrollRef}
      aria-labelledby={menuProps['aria-labelledby']}
      isOpen={state.isOpen}
      onOpenChange={state.setOpen}
    >
      <Menu {...menuProps} ref={scrollRef} className="menu" onAction={(action) => onAction(action as KeyAction)}>
        <MenuItem className="menu-item" id="toggle">
          {revealLabel}
        </MenuItem>
        <MenuItem className="menu-item" id="copy">
          Copy key
        </MenuItem>
        {canRotate && (
          <MenuItem className="menu-item" id="rotate">
            Rotate key
          </MenuItem>
        )}
        <MenuItem className="menu-item" id="edit">
          Edit key
        </MenuItem>
        {canDelete && (
          <MenuItem className="menu-item menu-item-danger" id="delete">
            Delete key
          </MenuItem>
        )}
      </Menu>
    </Popover>
  );
}
