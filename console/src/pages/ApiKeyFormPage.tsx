import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Button, FieldError, Input, Label, TextField } from 'react-aria-components';
import { Controller, useForm } from 'react-hook-form';
import { useNavigate, useParams } from 'react-router';
import { createApiKey, type KeyFields, updateApiKey } from '../api/calls';
import { ApiError, type ApiKey, type KeyExpiresIn, type Permissions } from '../api/client';
import { errorMessage } from '../api/errors';
import { useConsole } from '../app/context';
import { queryKeys, useApiKey, useCatalog } from '../app/queries';
import { ErrorMessage, Loading } from '../ui/messages';
import { useToast } from '../ui/toasts';
import { type FormValues, type PermissionBoxes, PermissionsTable } from './PermissionsTable';

/**
 * The Add and Edit pages (API.md §7, §8, §9): a **Name**, the expiry (**Expiration** on Add,
 * **Expires at** on Edit), **Allowed IP addresses** (one block per line) and the permissions table.
 */
export function ApiKeyFormPage({ mode }: { mode: 'add' | 'edit' }) {
  const { organizationId = '', apiKeyId = '' } = useParams();
  const catalog = useCatalog();
  const title = mode === 'add' ? 'Add an API key' : 'Edit an API key';

  return (
    <>
      <h1>{title}</h1>
      {catalog.isPending && <Loading what="the permission catalog" />}
      {catalog.isError && <ErrorMessage error={catalog.error} onRetry={() => void catalog.refetch()} />}
      {catalog.isSuccess &&
        (mode === 'add' ? (
          <KeyForm organizationId={organizationId} catalog={catalog.data} />
        ) : (
          <EditForm organizationId={organizationId} apiKeyId={apiKeyId} catalog={catalog.data} />
        ))}
    </>
  );
}

/** Edit reads the key fresh, with its ETag, every time the page opens and on **Reload**. */
function EditForm({ organizationId, apiKeyId, catalog }: { organizationId: string; apiKeyId: string; catalog: readonly string[] }) {
  const key = useApiKey(organizationId, apiKeyId);
  if (key.isPending || key.isRefetching) return <Loading what="the API key" />;
  if (key.isError) return <ErrorMessage error={key.error} onRetry={() => void key.refetch()} />;
  return (
    <KeyForm
      // A reloaded key is a new form: new defaults, new ETag, no stale errors.
      key={key.dataUpdatedAt}
      organizationId={organizationId}
      catalog={catalog}
      existing={key.data}
      onReload={() => void key.refetch()}
    />
  );
}

interface KeyFormProps {
  organizationId: string;
  catalog: readonly string[];
  existing?: { key: ApiKey; etag: string | null };
  onReload?: () => void;
}

/** The expiries Add offers (API.md §8): none, or one of the API's `expires_in` values. */
const EXPIRY_OPTIONS: readonly [KeyExpiresIn | '', string][] = [
  ['', 'Never'],
  ['1h', 'In 1 hour'],
  ['24h', 'In 24 hours'],
  ['48h', 'In 48 hours'],
  ['7d', 'In 7 days'],
  ['30d', 'In 30 days'],
  ['90d', 'In 90 days'],
  ['365d', 'In 365 days'],
];

/** An ISO instant as a `datetime-local` value, in the browser's time zone, to the minute. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function boxesFrom(catalog: readonly string[], permissions: Permissions | undefined): PermissionBoxes {
  // On Add every box starts checked: the API's default for a new key is every resource, read and write.
  return Object.fromEntries(
    catalog.map((resource) => {
      const modes = permissions ? (permissions[resource] ?? []) : ['read', 'write'];
      return [resource, { read: modes.includes('read'), write: modes.includes('write') }];
    }),
  );
}

function permissionsFrom(boxes: PermissionBoxes): Permissions {
  // Only resources with access: an empty result is sent as `{}`, which the API refuses with a reason.
  const permissions: Permissions = {};
  for (const [resource, { read, write }] of Object.entries(boxes)) {
    const modes = [...(read ? (['read'] as const) : []), ...(write ? (['write'] as const) : [])];
    if (modes.length > 0) permissions[resource] = modes;
  }
  return permissions;
}

/** The textarea's lines as `allowed_ips`: one block per line, blank lines ignored; none is null (any source). */
function allowedIpsFrom(text: string): string[] | null {
  const blocks = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return blocks.length === 0 ? null : blocks;
}

function KeyForm({ organizationId, catalog, existing, onReload }: KeyFormProps) {
  const { api, newKeys } = useConsole();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const formError = useId();
  const [failure, setFailure] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const expiryId = useId();
  const expiryErrorId = useId();
  const [expiresIn, setExpiresIn] = useState<KeyExpiresIn | ''>('');
  const initialExpiry = existing?.key.expires_at ? toLocalInput(existing.key.expires_at) : '';
  const [expiresAt, setExpiresAt] = useState(initialExpiry);
  const [expiryError, setExpiryError] = useState<string | null>(null);
  const allowedIpsId = useId();
  const allowedIpsHintId = useId();
  const allowedIpsErrorId = useId();
  const initialAllowedIps = (existing?.key.allowed_ips ?? []).join('\n');
  const [allowedIps, setAllowedIps] = useState(initialAllowedIps);
  const [allowedIpsError, setAllowedIpsError] = useState<string | null>(null);
  const form = useForm<FormValues>({
    defaultValues: { name: existing?.key.name ?? '', permissions: boxesFrom(catalog, existing?.key.permissions) },
  });
  const {
    control,
    handleSubmit,
    setError,
    clearErrors,
    formState: { errors, isSubmitting },
  } = form;

  const backToList = () => navigate(`/organizations/${encodeURIComponent(organizationId)}/api_keys`);
  const save = useMutation({
    mutationFn: async (fields: KeyFields) => {
      if (existing) {
        await updateApiKey(api, organizationId, existing.key.id, fields, existing.etag);
        return 'API key successfully updated';
      }
      const created = await createApiKey(api, organizationId, fields);
      newKeys.set(created.id, created.value);
      return 'API key successfully created';
    },
  });

  const submit = handleSubmit(async (values) => {
    clearErrors();
    setFailure(null);
    setConflict(false);
    setExpiryError(null);
    setAllowedIpsError(null);
    const expiry = existing
      ? // Sent only when changed: a key with a pending rotation may still be renamed.
        expiresAt === initialExpiry
        ? {}
        : { expires_at: expiresAt ? new Date(expiresAt).toISOString() : null }
      : expiresIn
        ? { expires_in: expiresIn }
        : {};
    try {
      toast(
        await save.mutateAsync({
          name: values.name,
          permissions: permissionsFrom(values.permissions),
          // Sent only when set (Add) or changed (Edit): a PATCH names only the fields it changes.
          ...(allowedIps === initialAllowedIps ? {} : { allowed_ips: allowedIpsFrom(allowedIps) }),
          ...expiry,
        }),
      );
      await queryClient.invalidateQueries({ queryKey: queryKeys.keys(organizationId) });
      backToList();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) return setConflict(true);
      // A 401 has already sent the console back to Sign in.
      if (error instanceof ApiError && error.status === 401) return;
      const fieldReasons = error instanceof ApiError ? error.details : {};
      let unplaced = false;
      for (const [field, reasons] of Object.entries(fieldReasons)) {
        // The permissions are a record keyed by resource, so their own error lives under `root`.
        if (field === 'name') setError('name', { type: 'server', message: reasons.join('; ') });
        else if (field === 'permissions') setError('root.permissions', { type: 'server', message: reasons.join('; ') });
        else if (field === 'expires_at' || field === 'expires_in') setExpiryError(reasons.join('; '));
        else if (field === 'allowed_ips') setAllowedIpsError(reasons.join('; '));
        else unplaced = true;
      }
      if (unplaced || Object.keys(fieldReasons).length === 0) setFailure(error);
    }
  });

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-describedby={failure ? formError : undefined}>
      {conflict && (
        <div className="message message-error" role="alert">
          <p>This key was changed by someone else</p>
          <p>Reload the form to see its current name and permissions, then make your change again.</p>
          <Button className="button" onPress={onReload}>
            Reload
          </Button>
        </div>
      )}
      {failure !== null && (
        <p id={formError} className="message message-error" role="alert">
          {errorMessage(failure)}
        </p>
      )}
      <Controller
        control={control}
        name="name"
        render={({ field, fieldState }) => (
          <TextField
            className="field"
            value={field.value}
            onChange={field.onChange}
            onBlur={field.onBlur}
            isInvalid={fieldState.invalid}
            validationBehavior="aria"
          >
            <Label className="label">Name</Label>
            <Input ref={field.ref} className="input" autoComplete="off" />
            <FieldError className="field-error">{fieldState.error?.message}</FieldError>
          </TextField>
        )}
      />
      <div className="field">
        <label className="label" htmlFor={expiryId}>
          {existing ? 'Expires at' : 'Expiration'}
        </label>
        {existing ? (
          <div className="expiry-edit">
            <input
              id={expiryId}
              className="input"
              type="datetime-local"
              value={expiresAt}
              onChange={(event) => setExpiresAt(event.target.value)}
              aria-invalid={expiryError ? true : undefined}
              aria-describedby={expiryError ? expiryErrorId : undefined}
            />
            <Button className="button" onPress={() => setExpiresAt('')} isDisabled={expiresAt === ''}>
              Clear expiry
            </Button>
          </div>
        ) : (
          <select
            id={expiryId}
            className="input"
            value={expiresIn}
            onChange={(event) => setExpiresIn(event.target.value as KeyExpiresIn | '')}
            aria-invalid={expiryError ? true : undefined}
            aria-describedby={expiryError ? expiryErrorId : undefined}
          >
            {EXPIRY_OPTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        )}
        {expiryError && (
          <p id={expiryErrorId} className="field-error">
            {expiryError}
          </p>
        )}
      </div>
      <div className="field">
        <label className="label" htmlFor={allowedIpsId}>
          Allowed IP addresses
        </label>
        <textarea
          id={allowedIpsId}
          className="input"
          rows={3}
          value={allowedIps}
          onChange={(event) => setAllowedIps(event.target.value)}
          spellCheck={false}
          autoComplete="off"
          placeholder={'203.0.113.0/24\n2001:db8::/32'}
          aria-invalid={allowedIpsError ? true : undefined}
          aria-describedby={allowedIpsError ? `${allowedIpsErrorId} ${allowedIpsHintId}` : allowedIpsHintId}
        />
        <p id={allowedIpsHintId} className="hint">
          One IPv4 or IPv6 address or CIDR block per line, at most 20. Empty: any address.
        </p>
        {allowedIpsError && (
          <p id={allowedIpsErrorId} className="field-error">
            {allowedIpsError}
          </p>
        )}
      </div>
      <PermissionsTable control={control} setValue={form.setValue} catalog={catalog} error={errors.root?.permissions?.message} />
      <div className="form-actions">
        <Button className="button" onPress={backToList}>
          Cancel
        </Button>
        <Button className="button button-primary" type="submit" isPending={isSubmitting}>
          {existing ? 'Save edits' : 'Add API key'}
        </Button>
      </div>
    </form>
  );
}
