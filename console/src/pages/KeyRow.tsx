import { useMutation } from '@tanstack/react-query';
import { lazy, Suspense, useRef } from 'react';
import { mergeProps } from 'react-aria/mergeProps';
import { useFocusable } from 'react-aria/useFocusable';
import { useMenuTrigger } from 'react-aria/useMenu';
import { useTooltipTrigger } from 'react-aria/useTooltipTrigger';
import { Button } from 'react-aria-components';
import { useNavigate } from 'react-router';
import { useMenuTriggerState } from 'react-stately/useMenuTriggerState';
import { useTooltipTriggerState } from 'react-stately/useTooltipTriggerState';
import { revealApiKey } from '../api/calls';
import type { ApiKey } from '../api/client';
import { useConsole } from '../app/context';
import { canDelete, canRotate } from '../keys';
import { formatDateTime, keyName } from '../ui/format';
import { CopyIcon, EyeIcon, EyeOffIcon, MoreIcon, WarningIcon } from '../ui/icons';
import { useToast } from '../ui/toasts';
import type { KeyAction } from './KeyMenu';

const ExpiryTooltip = lazy(() => import('./ExpiryTooltip').then((module) => ({ default: module.ExpiryTooltip })));
const KeyMenu = lazy(() => import('./KeyMenu').then((module) => ({ default: module.KeyMenu })));

interface KeyRowProps {
  organizationId: string;
  apiKey: ApiKey;
  keys: readonly ApiKey[];
  /** The full token while it is shown. */
  token: string | undefined;
  /** Its requests over the last 24 hours (usage counts); undefined while unknown. */
  requests24h: number | undefined;
  onShow: (value: string) => void;
  onHide: () => void;
  onFailure: (error: unknown) => void;
  onRotate: () => void;
  onDelete: () => void;
}

export function KeyRow({ organizationId, apiKey, keys, token, requests24h, onShow, onHide, onFailure, onRotate, onDelete }: KeyRowProps) {
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
  // The menu is a chunk of its own (KeyMenu); its trigger is made here with the hooks react-aria's MenuTrigger uses.
  const menu = useMenuTriggerState({});
  const menuButton = useRef<HTMLButtonElement>(null);
  const { menuTriggerProps, menuProps } = useMenuTrigger<object>({}, menu, menuButton);
  const onAction = (action: KeyAction) => {
    if (action === 'toggle') void toggle();
    else if (action === 'copy') void copy();
    else if (action === 'rotate') onRotate();
    else if (action === 'edit') navigate(`${encodeURIComponent(apiKey.id)}/edit`);
    else onDelete();
  };

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
      <td className="number">{requests24h === undefined ? '–' : requests24h.toLocaleString(navigator.languages)}</td>
      <td>
        <div className="created">
          <span>{formatDateTime(apiKey.created_at)}</span>
          <Button ref={menuButton} className="icon-button" aria-label="More options" {...menuTriggerProps}>
            <MoreIcon />
          </Button>
          <Suspense fallback={null}>
            <KeyMenu
              state={menu}
              triggerRef={menuButton}
              menuProps={menuProps}
              revealLabel={revealLabel}
              canRotate={canRotate(apiKey)}
              canDelete={canDelete(apiKey, keys)}
              onAction={onAction}
            />
          </Suspense>
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
      <ExpiringName name={name} expiresAt={apiKey.expires_at} />
    </span>
  );
}

/**
 * The tooltip's trigger: the name itself, made focusable so keyboard users get the tooltip too
 * (react-aria's `<Focusable>` expects a widget role, and a name is not a widget). The trigger is
 * react-aria's hooks, as in its TooltipTrigger; the tooltip is in its own chunk (ExpiryTooltip).
 */
function ExpiringName({ name, expiresAt }: { name: string; expiresAt: string }) {
  const ref = useRef<HTMLSpanElement>(null);
  const tooltip = useTooltipTriggerState({ delay: 300 });
  const { triggerProps, tooltipProps } = useTooltipTrigger({ delay: 300 }, tooltip, ref);
  const { focusableProps } = useFocusable({}, ref);
  return (
    <>
      {/* useFocusable puts the name in the tab order (tabIndex 0); the trigger's handlers show the tooltip. */}
      <span ref={ref} className="focusable-name" {...mergeProps(focusableProps, triggerProps)}>
        {name}
      </span>
      <Suspense fallback={null}>
        <ExpiryTooltip state={tooltip} triggerRef={ref} tooltipProps={tooltipProps} expiresAt={expiresAt} />
      </Suspense>
    </>
  );
}
