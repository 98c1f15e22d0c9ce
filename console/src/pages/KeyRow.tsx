import { useMutation } from '@tanstack/react-query';
import { useRef } from 'react';
import { useFocusable } from 'react-aria/useFocusable';
import { Button, Menu, MenuItem, MenuTrigger, Popover, Tooltip, TooltipTrigger } from 'react-aria-components';
import { useNavigate } from 'react-router';
import { revealApiKey } from '../api/calls';
import type { ApiKey } from '../api/client';
import { useConsole } from '../app/context';
import { canDelete, canRotate } from '../keys';
import { formatDateTime, keyName } from '../ui/format';
import { CopyIcon, EyeIcon, EyeOffIcon, MoreIcon, WarningIcon } from '../ui/icons';
import { useToast } from '../ui/toasts';

interface KeyRowProps {
  organizationId: string;
  apiKey: ApiKey;
  keys: readonly ApiKey[];
  /** The full token while it is shown. */
  token: string | undefined;
  onShow: (value: string) => void;
  onHide: () => void;
  onFailure: (error: unknown) => void;
  onRotate: () => void;
  onDelete: () => void;
}

export function KeyRow({ organizationId, apiKey, keys, token, onShow, onHide, onFailure, onRotate, onDelete }: KeyRowProps) {
  const { api } = useConsole();
  const navigate = useNavigate();
  const toast = useToast();
  // Every reveal goes to the API, which audits it (`api_key.revealed`); copying a hidden key is one.
  const reveal = useMutation({ mutationFn: () => revealApiKey(api, organizationId, apiKey.id) });

  const toggle = async () => {
    if (token !== undefined) return onHide();
    try {
      onFailure(null);
      onShow((await reveal.mutateAsync()).value);
    } catch (error) {
      onFailure(error);
    }
  };

  const copy = async () => {
    try {
      onFailure(null);
      const value = token ?? (await reveal.mutateAsync()).value;
      await navigator.clipboard.writeText(value);
      toast('Copied to clipboard');
    } catch (error) {
      onFailure(error);
    }
  };

  const revealLabel = token === undefined ? 'Reveal key' : 'Hide key';

  return (
    <tr>
      <td>
        <KeyName apiKey={apiKey} />
      </td>
      <td>
        <div className="token">
          <code className="token-value">{token ?? apiKey.masked_value}</code>
          <Button className="icon-button" aria-label={revealLabel} onPress={() => void toggle()} isDisabled={reveal.isPending}>
            {token === undefined ? <EyeIcon /> : <EyeOffIcon />}
          </Button>
          <Button className="icon-button" aria-label="Copy key" onPress={() => void copy()} isDisabled={reveal.isPending}>
            <CopyIcon />
          </Button>
        </div>
      </td>
      <td>{apiKey.last_used_at === null ? 'Never' : formatDateTime(apiKey.last_used_at)}</td>
      <td>
        <div className="created">
          <span>{formatDateTime(apiKey.created_at)}</span>
          <MenuTrigger>
            <Button className="icon-button" aria-label="More options">
              <MoreIcon />
            </Button>
            <Popover className="popover" placement="bottom end">
              <Menu
                className="menu"
                onAction={(action) => {
                  if (action === 'toggle') void toggle();
                  else if (action === 'copy') void copy();
                  else if (action === 'rotate') onRotate();
                  else if (action === 'edit') navigate(`${encodeURIComponent(apiKey.id)}/edit`);
                  else if (action === 'delete') onDelete();
                }}
              >
                <MenuItem className="menu-item" id="toggle">
                  {revealLabel}
                </MenuItem>
                <MenuItem className="menu-item" id="copy">
                  Copy key
                </MenuItem>
                {canRotate(apiKey) && (
                  <MenuItem className="menu-item" id="rotate">
                    Rotate key
                  </MenuItem>
                )}
                <MenuItem className="menu-item" id="edit">
                  Edit key
                </MenuItem>
                {canDelete(apiKey, keys) && (
                  <MenuItem className="menu-item menu-item-danger" id="delete">
                    Delete key
                  </MenuItem>
                )}
              </Menu>
            </Popover>
          </MenuTrigger>
        </div>
      </td>
    </tr>
  );
}

/** The name; a key with a pending expiry gets a warning image and a tooltip saying when, on hover or focus. */
function KeyName({ apiKey }: { apiKey: ApiKey }) {
  const name = keyName(apiKey.name);
  if (apiKey.expires_at === null) return <span className="key-name">{name}</span>;
  return (
    <span className="key-name expiring">
      <WarningIcon label="Expiring key" />
      <TooltipTrigger delay={300}>
        <FocusableName>{name}</FocusableName>
        <Tooltip className="tooltip" placement="top">
          The key expires on {formatDateTime(apiKey.expires_at)}
        </Tooltip>
      </TooltipTrigger>
    </span>
  );
}

/**
 * The tooltip's trigger: the name itself, made focusable so keyboard users get the tooltip too
 * (react-aria's `<Focusable>` expects a widget role, and a name is not a widget).
 */
function FocusableName({ children }: { children: string }) {
  const ref = useRef<HTMLSpanElement>(null);
  const { focusableProps } = useFocusable({}, ref);
  return (
    // useFocusable puts the name in the tab order (tabIndex 0) and wires the tooltip's handlers.
    <span ref={ref} className="focusable-name" {...focusableProps}>
      {children}
    </span>
  );
}
