import { useMemo, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  JsonObject,
  PublicActionDefinition,
  Run,
  RunPreview,
  stripSecretInputs,
} from '@self-service-actions/plugin-self-service-actions-common';
import { withTheme } from '@rjsf/core';
import { Theme as MuiTheme } from '@rjsf/material-ui';
import validator from '@rjsf/validator-ajv8';
import { ErrorSchema, RegistryFieldsType } from '@rjsf/utils';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { EntityPickerField, OwnerPickerField } from './EntityPickerField';
import { formUiSchema, plainFormErrors, secretInputNames, toExtraErrors } from './formUtils';
import { useDangerButtonStyles } from '../RunActions/dangerButton';
import { useRunFormStyles } from './formStyles';
import { errorMessage } from '../../utils/errorMessage';
import { entityName } from '../../utils/runText';
import { RequestPreview } from './RequestPreview';

const Form = withTheme(MuiTheme);
const fields: RegistryFieldsType = {
  EntityPicker: EntityPickerField,
  OwnerPicker: OwnerPickerField,
};

/**
 * The submit button's label: "Run", or for a Delete action the action's verb (its name's first
 * word) and the target, so the red button says what it destroys ("Decommission payments").
 */
export function runLabel(action: Pick<PublicActionDefinition, 'name'>, deleteTarget?: string): string {
  if (!deleteTarget) return 'Run';
  const verb = action.name.trim().split(/\s+/)[0] || 'Delete';
  return `${verb} ${deleteTarget}`;
}

/** Props of {@link RunDialog}. */
export interface RunDialogProps {
  action: PublicActionDefinition;
  /** The target entity; absent for a global action. */
  entity?: Entity;
  open: boolean;
  onClose(): void;
  onCreated(run: Run): void;
  /** Re-run: the run to re-run, whose inputs prefill the form. */
  rerunOf?: Run;
}

/**
 * The form of an action, rendered from its JSON Schema. Client validation runs first; the
 * server's field errors are shown on the fields they concern. Delete actions ask for the
 * entity's name (also on re-run: the run's entity, not the action) before their red button,
 * which names the target, is enabled.
 */
export function RunDialog(props: RunDialogProps) {
  const { action, entity, open, onClose, onCreated, rerunOf } = props;
  const api = useApi(selfServiceActionsApiRef);
  // The API never returns secret values; stripped again so a re-run can only send what is typed.
  const [formData, setFormData] = useState<JsonObject>(() =>
    stripSecretInputs(action.userInputs, (rerunOf?.inputs ?? {}) as JsonObject),
  );
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [submitting, setSubmitting] = useState(false);
  const [confirmation, setConfirmation] = useState('');
  const [preview, setPreview] = useState<RunPreview | undefined>();
  const [previewing, setPreviewing] = useState(false);
  // The backend shows where an action sends only to its owners and admins: they may preview.
  const mayPreview = !!action.method.url;
  const uiSchema = useMemo(
    () => ({
      ...formUiSchema(action.userInputs, action.uiSchema),
      'ui:submitButtonOptions': { norender: true },
    }),
    [action],
  );
  const secrets = secretInputNames(action.userInputs);
  // What the run acts on: the entity of the page, or of the run re-run.
  const target = entity?.metadata.name ?? entityName(rerunOf?.entityRef);
  const isDelete = action.type === 'Delete';
  const confirmName = isDelete ? target ?? action.name : undefined;
  const confirmed = !confirmName || confirmation === confirmName;
  const danger = useDangerButtonStyles();
  const formStyles = useRunFormStyles();
  const formId = `ssa-run-form-${action.id}`;

  /** The server's field errors on their fields, anything else above the form. */
  const showError = (e: unknown) => {
    const body = e instanceof ResponseError ? (e.body.error as { fieldErrors?: any[] }) : undefined;
    if (body?.fieldErrors?.length) {
      const mapped = toExtraErrors(body.fieldErrors);
      setExtraErrors(mapped.extraErrors);
      setError(mapped.otherErrors.length ? mapped.otherErrors.join('; ') : 'Please correct the highlighted fields.');
    } else {
      setError(errorMessage(e));
    }
  };

  const submit = async (inputs: JsonObject) => {
    setSubmitting(true);
    setError(undefined);
    setExtraErrors(undefined);
    try {
      const run = rerunOf
        ? await api.rerun(rerunOf.id, inputs)
        : await api.createRun(action.id, {
            ...(entity ? { entityRef: stringifyEntityRef(entity) } : {}),
            inputs,
          });
      onCreated(run);
    } catch (e) {
      showError(e);
    } finally {
      setSubmitting(false);
    }
  };

  const showPreview = async () => {
    setPreviewing(true);
    setError(undefined);
    setExtraErrors(undefined);
    setPreview(undefined);
    const entityRef = entity ? stringifyEntityRef(entity) : rerunOf?.entityRef;
    try {
      setPreview(await api.previewRun(action.id, { ...(entityRef ? { entityRef } : {}), inputs: formData }));
    } catch (e) {
      showError(e);
    } finally {
      setPreviewing(false);
    }
  };

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm" aria-labelledby={`${formId}-title`}>
      <DialogTitle id={`${formId}-title`}>
        {rerunOf ? 'Re-run ' : ''}
        {action.name}
        {target ? ` on ${target}` : ''}
      </DialogTitle>
      <DialogContent className={formStyles.form}>
        {action.description && <Typography variant="body2" paragraph>{action.description}</Typography>}
        {rerunOf && secrets.length > 0 && (
          <Alert severity="info">Secret inputs are never stored: enter {secrets.join(', ')} again.</Alert>
        )}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
        <Form
          id={formId}
          schema={action.userInputs as any}
          uiSchema={uiSchema}
          formData={formData}
          fields={fields}
          validator={validator}
          extraErrors={extraErrors}
          transformErrors={plainFormErrors}
          focusOnFirstError
          showErrorList={false}
          noHtml5Validate
          disabled={submitting}
          onChange={e => {
            setFormData(e.formData);
            // A preview shows the inputs it was made with: it goes when they change.
            setPreview(undefined);
          }}
          onSubmit={e => submit(e.formData as JsonObject)}
          // Without onError RJSF logs the errors to the console; they are on the fields already.
          onError={() => setError('Please correct the highlighted fields.')}
        />
        {preview && <RequestPreview preview={preview} />}
        {confirmName && (
          <TextField
            fullWidth
            margin="normal"
            variant="outlined"
            label={`Type ${confirmName} to confirm`}
            helperText="This action deletes things. Type the name to enable Run."
            value={confirmation}
            onChange={e => setConfirmation(e.target.value)}
            inputProps={{ 'aria-label': `Type ${confirmName} to confirm` }}
          />
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        {mayPreview && (
          <Button onClick={showPreview} disabled={submitting || previewing}>
            {previewing ? 'Previewing…' : 'Preview request'}
          </Button>
        )}
        <Button
          type="submit"
          form={formId}
          color="primary"
          variant="contained"
          className={isDelete ? danger.danger : undefined}
          disabled={submitting || !confirmed}
        >
          {submitting ? 'Running…' : runLabel(action, isDelete ? target : undefined)}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
