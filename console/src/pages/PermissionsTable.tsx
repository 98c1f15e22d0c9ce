import { useId } from 'react';
import { Checkbox, type CheckboxProps } from 'react-aria-components';
import { type Control, Controller, type UseFormSetValue, useWatch } from 'react-hook-form';

export type PermissionBoxes = Record<string, { read: boolean; write: boolean }>;
export interface FormValues {
  name: string;
  permissions: PermissionBoxes;
}

const COLUMNS = [
  { mode: 'read', label: 'Read' },
  { mode: 'write', label: 'Write' },
] as const;

/** A checkbox drawn by CSS around react-aria's, which keeps the native input (and its mixed state). */
function Box(props: Omit<CheckboxProps, 'children' | 'className'>) {
  return (
    <Checkbox {...props} className="checkbox">
      <span className="checkbox-box" aria-hidden="true" />
    </Checkbox>
  );
}

interface PermissionsTableProps {
  control: Control<FormValues>;
  setValue: UseFormSetValue<FormValues>;
  catalog: readonly string[];
  /** The API's reason when it refused the permissions. */
  error: string | undefined;
}

/**
 * One row per catalog resource, a **Read** and a **Write** box each; in each column header a
 * **Select all** box that is checked, unchecked or mixed.
 */
export function PermissionsTable({ control, setValue, catalog, error }: PermissionsTableProps) {
  const boxes = useWatch({ control, name: 'permissions' });
  const legend = useId();
  const errorId = useId();

  return (
    <fieldset
      className="fieldset permissions"
      aria-labelledby={legend}
      aria-describedby={error ? errorId : undefined}
      aria-invalid={error ? true : undefined}
    >
      <legend id={legend}>Permissions</legend>
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Resource</th>
            {COLUMNS.map(({ mode, label }) => {
              const checked = catalog.filter((resource) => boxes[resource]?.[mode]).length;
              return (
                // The header's name is the column's, not the name of the box inside it.
                <th scope="col" key={mode} aria-label={label}>
                  <span className="column-header">
                    <Box
                      aria-label={`Select all ${label}`}
                      isSelected={checked === catalog.length}
                      isIndeterminate={checked > 0 && checked < catalog.length}
                      onChange={(selected) => {
                        for (const resource of catalog) setValue(`permissions.${resource}.${mode}`, selected, { shouldDirty: true });
                      }}
                    />
                    <span aria-hidden="true">{label}</span>
                  </span>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {catalog.map((resource) => (
            <tr key={resource} aria-label={resource}>
              <th scope="row" className="resource">
                {resource}
              </th>
              {COLUMNS.map(({ mode, label }) => (
                <td key={mode}>
                  <Controller
                    control={control}
                    name={`permissions.${resource}.${mode}`}
                    render={({ field }) => (
                      <Box aria-label={`${label} ${resource}`} isSelected={field.value} onChange={field.onChange} inputRef={field.ref} />
                    )}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}
