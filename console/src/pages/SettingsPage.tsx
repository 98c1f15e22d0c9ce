import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Button, Radio, RadioGroup } from 'react-aria-components';
import { useParams } from 'react-router';
import { getSettings, updateSettings } from '../api/calls';
import { ApiError, type OrganizationSettings, type OrganizationSettingsChanges } from '../api/client';
import { errorMessage } from '../api/errors';
import { useConsole } from '../app/context';
import { ErrorMessage, Loading } from '../ui/messages';
import { useToast } from '../ui/toasts';

type LeakedKeyAction = NonNullable<OrganizationSettings['leaked_key_action']>;

const settingsKey = (organizationId: string) => ['organizations', organizationId, 'settings'] as const;

/** The organization's key policy (API.md §8): the maximum lifetime of new keys and the reminder marks. */
export function SettingsPage() {
  const { organizationId = '' } = useParams();
  const { api } = useConsole();
  const settings = useQuery({ queryKey: settingsKey(organizationId), queryFn: () => getSettings(api, organizationId) });
  return (
    <>
      <h1>Settings</h1>
      <p className="lead">
        How long new API keys may live, when admins are reminded before a key expires, and what happens when a key is found in public.
      </p>
      {settings.isPending && <Loading what="the settings" />}
      {settings.isError && <ErrorMessage error={settings.error} onRetry={() => void settings.refetch()} />}
      {settings.isSuccess && <SettingsForm key={settings.dataUpdatedAt} organizationId={organizationId} current={settings.data} />}
    </>
  );
}

function SettingsForm({ organizationId, current }: { organizationId: string; current: OrganizationSettings }) {
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = { max: useId(), maxError: useId(), days: useId(), daysError: useId(), form: useId(), leak: useId() };
  const [max, setMax] = useState(current.max_key_lifetime_days === null ? '' : String(current.max_key_lifetime_days));
  const [days, setDays] = useState(current.expiry_reminder_days.join(', '));
  const [leakAction, setLeakAction] = useState<LeakedKeyAction>(current.leaked_key_action ?? 'rotate');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const save = useMutation({ mutationFn: (next: OrganizationSettingsChanges) => updateSettings(api, organizationId, next) });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    const marks =
      days.trim() === ''
        ? []
        : days
            .split(/[,\s]+/)
            .filter(Boolean)
            .map(Number);
    try {
      const saved = await save.mutateAsync({
        max_key_lifetime_days: max.trim() === '' ? null : Number(max),
        expiry_reminder_days: marks,
        leaked_key_action: leakAction,
      });
      queryClient.setQueryData(settingsKey(organizationId), saved);
      toast('Settings saved');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const details = error instanceof ApiError ? error.details : {};
      const placed = Object.fromEntries(
        Object.entries(details)
          .filter(([field]) => field === 'max_key_lifetime_days' || field.startsWith('expiry_reminder_days'))
          .map(([field, reasons]) => [field.startsWith('expiry_reminder_days') ? 'expiry_reminder_days' : field, reasons.join('; ')]),
      );
      setErrors(placed);
      if (Object.keys(placed).length === 0) setFailure(error);
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-describedby={failure ? ids.form : undefined}>
      {failure !== null && (
        <p id={ids.form} className="message message-error" role="alert">
          {errorMessage(failure)}
        </p>
      )}
      <div className="field">
        <label className="label" htmlFor={ids.max}>
          Maximum key lifetime (days)
        </label>
        <input
          id={ids.max}
          className="input"
          inputMode="numeric"
          value={max}
          placeholder="No limit"
          onChange={(event) => setMax(event.target.value)}
          aria-invalid={errors.max_key_lifetime_days ? true : undefined}
          aria-describedby={errors.max_key_lifetime_days ? ids.maxError : undefined}
        />
        {errors.max_key_lifetime_days && (
          <p id={ids.maxError} className="field-error">
            {errors.max_key_lifetime_days}
          </p>
        )}
      </div>
      <div className="field">
        <label className="label" htmlFor={ids.days}>
          Reminder days
        </label>
        <input
          id={ids.days}
          className="input"
          value={days}
          placeholder="e.g. 7, 1"
          onChange={(event) => setDays(event.target.value)}
          aria-invalid={errors.expiry_reminder_days ? true : undefined}
          aria-describedby={errors.expiry_reminder_days ? ids.daysError : undefined}
        />
        {errors.expiry_reminder_days && (
          <p id={ids.daysError} className="field-error">
            {errors.expiry_reminder_days}
          </p>
        )}
      </div>
      <fieldset className="fieldset">
        <legend id={ids.leak}>When a key is found in public</legend>
        <p className="fieldset-hint">GitHub secret scanning reports keys pushed to public repositories, gists and issues.</p>
        <RadioGroup
          className="radios"
          aria-labelledby={ids.leak}
          value={leakAction}
          onChange={(value) => setLeakAction(value as LeakedKeyAction)}
          isDisabled={save.isPending}
        >
          <Radio value="rotate" className="radio">
            Rotate it now
          </Radio>
          <Radio value="notify" className="radio">
            Only notify admins
          </Radio>
        </RadioGroup>
      </fieldset>
      <div className="form-actions">
        <Button className="button button-primary" type="submit" isPending={save.isPending}>
          Save settings
        </Button>
      </div>
    </form>
  );
}
