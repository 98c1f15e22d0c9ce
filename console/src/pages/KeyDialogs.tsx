import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Button, Dialog, Heading, Modal, ModalOverlay, Radio, RadioGroup } from 'react-aria-components';
import { deleteApiKey, rotateApiKey } from '../api/calls';
import type { ApiKey, ExpiresIn, RevealedApiKey } from '../api/client';
import { errorMessage } from '../api/errors';
import { useConsole } from '../app/context';
import { keyName, lastUsedText } from '../ui/format';

/** When the old key of a rotation stops working (API.md §3, Rotation), Lago's choices. */
const EXPIRATIONS: readonly { value: ExpiresIn; label: string }[] = [
  { value: 'now', label: 'Immediately' },
  { value: '1h', label: 'In 1 hour' },
  { value: '24h', label: 'In 24 hours' },
  { value: '48h', label: 'In 48 hours' },
  { value: '7d', label: 'In 7 days' },
];

interface KeyDialogProps {
  organizationId: string;
  apiKey: ApiKey;
  onClose: () => void;
}

/** A modal dialog: focus stays inside, Escape or Cancel closes it. */
function KeyDialog({ title, onClose, children }: { title: string; onClose: () => void; children: React.ReactNode }) {
  return (
    <ModalOverlay className="overlay" isOpen isDismissable onOpenChange={(open) => open || onClose()}>
      <Modal className="modal">
        <Dialog className="dialog">
          <Heading slot="title" className="dialog-title">
            {title}
          </Heading>
          {children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

function Failure({ error }: { error: unknown }) {
  return (
    <p className="message message-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function RotateDialog({
  organizationId,
  apiKey,
  onClose,
  onRotated,
}: KeyDialogProps & { onRotated: (newKey: RevealedApiKey, rotated: ApiKey) => void }) {
  const { api } = useConsole();
  const [expiresIn, setExpiresIn] = useState<ExpiresIn>('now');
  const legend = useId();
  const rotate = useMutation({
    mutationFn: () => rotateApiKey(api, organizationId, apiKey.id, expiresIn),
    onSuccess: ({ newKey, rotated }) => onRotated(newKey, rotated),
  });

  return (
    <KeyDialog title="Rotate API key" onClose={onClose}>
      <p>
        Rotating <strong>{keyName(apiKey.name)}</strong> ({apiKey.masked_value}) creates a new key with the same name and permissions, which
        works at once. The current key keeps working until the expiration date you choose, then stops for good: give your services the new
        key before then.
      </p>
      <p className="last-used">{lastUsedText(apiKey.last_used_at)}</p>
      <fieldset className="fieldset">
        <legend id={legend}>Expiration date</legend>
        <RadioGroup
          className="radios"
          aria-labelledby={legend}
          value={expiresIn}
          onChange={(value) => setExpiresIn(value as ExpiresIn)}
          isDisabled={rotate.isPending}
        >
          {EXPIRATIONS.map(({ value, label }) => (
            <Radio key={value} value={value} className="radio">
              {label}
            </Radio>
          ))}
        </RadioGroup>
      </fieldset>
      {rotate.isError && <Failure error={rotate.error} />}
      <div className="dialog-actions">
        <Button className="button" slot="close">
          Cancel
        </Button>
        <Button className="button button-primary" onPress={() => rotate.mutate()} isPending={rotate.isPending}>
          Rotate API key
        </Button>
      </div>
    </KeyDialog>
  );
}

export function DeleteDialog({ organizationId, apiKey, onClose, onDeleted }: KeyDialogProps & { onDeleted: (deleted: ApiKey) => void }) {
  const { api } = useConsole();
  const remove = useMutation({
    mutationFn: () => deleteApiKey(api, organizationId, apiKey.id),
    onSuccess: () => onDeleted(apiKey),
  });

  return (
    <KeyDialog title="Delete API key" onClose={onClose}>
      <p>
        Deleting <strong>{keyName(apiKey.name)}</strong> ({apiKey.masked_value}) takes effect immediately: every request that uses it is
        refused from now on. This cannot be undone.
      </p>
      <p className="last-used">{lastUsedText(apiKey.last_used_at)}</p>
      {remove.isError && <Failure error={remove.error} />}
      <div className="dialog-actions">
        <Button className="button" slot="close">
          Cancel
        </Button>
        <Button className="button button-danger" onPress={() => remove.mutate()} isPending={remove.isPending}>
          Delete API key
        </Button>
      </div>
    </KeyDialog>
  );
}
