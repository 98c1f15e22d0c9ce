import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Button } from 'react-aria-components';
import { useNavigate, useParams } from 'react-router';
import type { ApiKey, RevealedApiKey } from '../api/client';
import { useConsole } from '../app/context';
import { queryKeys, useApiKeys, useRequests24h } from '../app/queries';
import { ErrorMessage, Loading } from '../ui/messages';
import { useToast } from '../ui/toasts';
import { KeyRow } from './KeyRow';

// The dialogs (react-aria's modal with its focus trap, the radio group) are a chunk of their own,
// fetched when one first opens: the list does not show them.
const RotateDialog = lazy(() => import('./KeyDialogs').then((dialogs) => ({ default: dialogs.RotateDialog })));
const DeleteDialog = lazy(() => import('./KeyDialogs').then((dialogs) => ({ default: dialogs.DeleteDialog })));

type OpenDialog = { kind: 'rotate' | 'delete'; key: ApiKey } | null;

/**
 * The organization's API keys (API.md §7): one row per key with its masked token, reveal and copy,
 * last use and creation, and a row menu; **Add a key**. Tokens are held in this page's memory only
 * while shown, and forgotten when the page is left.
 */
export function ApiKeysPage() {
  const { organizationId = '' } = useParams();
  const { newKeys } = useConsole();
  const keys = useApiKeys(organizationId);
  const requests = useRequests24h(organizationId);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const [shown, setShown] = useState(() => {
    const handedOver = new Map(newKeys);
    newKeys.clear();
    return handedOver;
  });
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [failure, setFailure] = useState<unknown>(null);

  const show = (id: string, value: string) => setShown((current) => new Map(current).set(id, value));
  const hide = (id: string) =>
    setShown((current) => {
      const next = new Map(current);
      next.delete(id);
      return next;
    });

  const listKey = queryKeys.keys(organizationId);
  const onRotated = (newKey: RevealedApiKey, rotated: ApiKey) => {
    const { value, ...key } = newKey;
    // Show the outcome at once (the old key gone, or kept until its expiry), then re-read the list.
    const oldKeyStays = rotated.expires_at !== null && Date.parse(rotated.expires_at) > Date.now();
    queryClient.setQueryData<ApiKey[]>(listKey, (current = []) => [
      ...current.flatMap((candidate) => (candidate.id !== rotated.id ? [candidate] : oldKeyStays ? [rotated] : [])),
      key,
    ]);
    void queryClient.invalidateQueries({ queryKey: listKey });
    hide(rotated.id);
    show(newKey.id, value);
    setDialog(null);
    toast('API key successfully rotated');
  };
  const onDeleted = (deleted: ApiKey) => {
    queryClient.setQueryData<ApiKey[]>(listKey, (current = []) => current.filter((candidate) => candidate.id !== deleted.id));
    void queryClient.invalidateQueries({ queryKey: listKey });
    hide(deleted.id);
    setDialog(null);
    toast('API key successfully deleted');
  };

  return (
    <>
      <div className="page-heading">
        <h1>API keys</h1>
        <Button className="button button-primary" onPress={() => navigate('new')}>
          Add a key
        </Button>
      </div>
      <p className="lead">
        Services call the API with these keys. Reveal or copy a key to configure a service; rotate it when it may have leaked.
      </p>
      {failure !== null && <ErrorMessage error={failure} />}
      {keys.isPending && <Loading what="the API keys" />}
      {keys.isError && <ErrorMessage error={keys.error} onRetry={() => void keys.refetch()} />}
      {keys.isSuccess && (
        <table className="table keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Token</th>
              <th scope="col">Last used</th>
              <th scope="col">Requests (24h)</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((key) => (
              <KeyRow
                key={key.id}
                organizationId={organizationId}
                apiKey={key}
                keys={keys.data}
                token={shown.get(key.id)}
                requests24h={requests.isSuccess ? (requests.data.get(key.id) ?? 0) : undefined}
                onShow={(value) => show(key.id, value)}
                onHide={() => hide(key.id)}
                onFailure={setFailure}
                onRotate={() => setDialog({ kind: 'rotate', key })}
                onDelete={() => setDialog({ kind: 'delete', key })}
              />
            ))}
          </tbody>
        </table>
      )}
      <Suspense fallback={<Loading what="the dialog" />}>
        {dialog?.kind === 'rotate' && (
          <RotateDialog organizationId={organizationId} apiKey={dialog.key} onClose={() => setDialog(null)} onRotated={onRotated} />
        )}
        {dialog?.kind === 'delete' && (
          <DeleteDialog organizationId={organizationId} apiKey={dialog.key} onClose={() => setDialog(null)} onDeleted={onDeleted} />
        )}
      </Suspense>
    </>
  );
}
