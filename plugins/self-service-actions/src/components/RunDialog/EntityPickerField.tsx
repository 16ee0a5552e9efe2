import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { FieldProps } from '@rjsf/utils';
import TextField from '@material-ui/core/TextField';
import Autocomplete from '@material-ui/lab/Autocomplete';
import useAsync from 'react-use/esm/useAsync';

function EntityRefPicker(props: FieldProps & { defaultKinds?: string[] }) {
  const { formData, onChange, schema, uiSchema, required, rawErrors, idSchema, disabled } = props;
  const catalogApi = useApi(catalogApiRef);
  const options = (uiSchema?.['ui:options'] ?? {}) as { allowedKinds?: string[] };
  const kinds = options.allowedKinds ?? props.defaultKinds;
  const { value: refs, loading } = useAsync(async () => {
    const { items } = await catalogApi.getEntities({
      filter: kinds ? { kind: kinds } : undefined,
      fields: ['kind', 'metadata.name', 'metadata.namespace'],
    });
    return items.map(entity => stringifyEntityRef(entity)).sort();
  }, [catalogApi, kinds?.join(',')]);
  const errors = rawErrors ?? [];
  return (
    <Autocomplete
      id={idSchema.$id}
      freeSolo
      autoSelect
      disabled={disabled}
      loading={loading}
      options={refs ?? []}
      value={(formData as string | undefined) ?? null}
      onChange={(_, value) => onChange(value ?? undefined)}
      renderInput={params => (
        <TextField
          {...params}
          label={schema.title ?? props.name}
          helperText={errors.length ? errors.join(', ') : schema.description}
          error={errors.length > 0}
          required={required}
          margin="normal"
          variant="outlined"
        />
      )}
    />
  );
}

/** RJSF field: pick a catalog entity ref (`ui:options.allowedKinds` narrows the kinds). */
export function EntityPickerField(props: FieldProps) {
  return <EntityRefPicker {...props} />;
}

/** RJSF field: pick a user or group as owner. */
export function OwnerPickerField(props: FieldProps) {
  return <EntityRefPicker {...props} defaultKinds={['Group', 'User']} />;
}
