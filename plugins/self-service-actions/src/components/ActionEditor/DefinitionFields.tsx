import { ACTION_ICON_NAMES, ACTION_TYPES } from '@self-service-actions/plugin-self-service-actions-common';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { APPLIES_TO_SHORTHANDS, DefinitionForm, FormProblem, problemText } from './definitionForm';
import { JsonField } from './JsonField';

/** The method types an owner may choose (the backend says which its invokers handle). */
export const METHOD_TYPES = ['Webhook', 'GitHubWorkflow', 'GitLabPipeline'];

const HEADERS_HELP = 'Each value names a config secret: { "Authorization": "Bearer {{ secrets.NAME }}" }';

/** Props of {@link DefinitionFields}. */
export interface DefinitionFieldsProps {
  form: DefinitionForm;
  onChange(change: Partial<DefinitionForm>): void;
  problems: FormProblem[];
  /** Editing a saved action: its id and method type are fixed. */
  saved: boolean;
  /** Where managed actions may send, as a hint under the URL. */
  allowedUrls: string[];
}

/**
 * The fields of a definition (DESIGN §3): the simple ones as inputs, the method's headers and
 * payload as JSON. Each shows the problem the server (or a JSON parse) placed on it.
 */
export function DefinitionFields(props: DefinitionFieldsProps) {
  const { form, onChange, problems, saved, allowedUrls } = props;
  const problemOf = (field: keyof DefinitionForm) => problemText(problems, field);
  const text = (field: keyof DefinitionForm, label: string, helper?: string, extra: object = {}) => (
    <TextField
      // MUI v4 ties the label to the input only through an id
      id={`action-field-${field}`}
      label={label}
      value={form[field] as string}
      onChange={event => onChange({ [field]: event.target.value })}
      error={Boolean(problemOf(field))}
      helperText={problemOf(field) ?? helper}
      fullWidth
      margin="dense"
      variant="outlined"
      {...extra}
    />
  );
  const select = (field: keyof DefinitionForm, label: string, options: readonly string[], extra: object = {}) =>
    text(field, label, undefined, {
      select: true,
      children: options.map(option => (
        <MenuItem key={option} value={option}>
          {option || '(the portal default)'}
        </MenuItem>
      )),
      ...extra,
    });

  return (
    <Grid container spacing={2}>
      <Grid item xs={12} md={6}>
        {text('name', 'Name', undefined, { required: true })}
      </Grid>
      <Grid item xs={12} md={6}>
        {/* read-only rather than disabled once saved: disabled text is too faint to read (axe) */}
        {text('id', 'Id', saved ? 'The id cannot change' : 'Lower-case letters, digits and dashes; empty: made from the name', {
          InputProps: { readOnly: saved },
        })}
      </Grid>
      <Grid item xs={12}>
        {text('description', 'Description')}
      </Grid>
      <Grid item xs={6} md={4}>
        {select('type', 'Type', ACTION_TYPES)}
      </Grid>
      <Grid item xs={6} md={4}>
        {select('icon', 'Icon', ACTION_ICON_NAMES.includes(form.icon as any) ? ACTION_ICON_NAMES : [form.icon, ...ACTION_ICON_NAMES])}
      </Grid>
      <Grid item xs={12} md={4}>
        {select('visibility', 'Visibility', ['', 'public', 'private'])}
      </Grid>
      <Grid item xs={12} md={6}>
        {text('owner', 'Owner', 'You, or a group you are in (admins: anyone)')}
      </Grid>
      <Grid item xs={12} md={6}>
        {text('allowedPeople', 'Who may run it', "Users and groups, comma separated ('*': anyone signed in)")}
      </Grid>
      <Grid item xs={12} md={6}>
        {text('resultsVisibleTo', 'Who sees every run', 'Users and groups, comma separated')}
      </Grid>
      <Grid item xs={12} md={6}>
        {select('appliesTo', 'Applies to', APPLIES_TO_SHORTHANDS, {
          SelectProps: { multiple: true },
          helperText: problemOf('appliesTo') ?? 'None: a global action, run from the Self-service page',
        })}
      </Grid>
      <Grid item xs={12}>
        <FormControlLabel
          control={
            <Checkbox
              checked={form.allowEntityOwners}
              onChange={event => onChange({ allowEntityOwners: event.target.checked })}
            />
          }
          label="Owners of the target entity may run it"
        />
      </Grid>
      <Grid item xs={12}>
        <Typography variant="h6">Method</Typography>
      </Grid>
      <Grid item xs={12} md={4}>
        {saved
          ? text('methodType', 'Method', problemOf('methodType') ?? 'The method cannot be changed', {
              InputProps: { readOnly: true },
            })
          : select('methodType', 'Method', METHOD_TYPES)}
      </Grid>
      {form.methodType === 'Webhook' ? (
        <>
          <Grid item xs={12} md={8}>
            {text('url', 'URL', allowedUrls.length > 0 ? `Must start with ${allowedUrls.join(' or ')}` : undefined, {
              required: true,
            })}
          </Grid>
          <Grid item xs={12}>
            {text(
              'signingSecret',
              'Signing secret',
              'A config secret as {{ secrets.NAME }}: webhooks are signed (Standard Webhooks) only with it; empty: unsigned',
            )}
          </Grid>
          <Grid item xs={12} md={6}>
            <JsonField
              label="Headers (JSON)"
              value={form.headers}
              onChange={headers => onChange({ headers })}
              error={problemOf('headers')}
              helperText={HEADERS_HELP}
            />
          </Grid>
          <Grid item xs={12} md={6}>
            <JsonField
              label="Payload template (JSON)"
              value={form.payload}
              onChange={payload => onChange({ payload })}
              error={problemOf('payload')}
              helperText="Empty: the default envelope (action, entity, inputs, report token and URL)"
            />
          </Grid>
        </>
      ) : (
        <Grid item xs={12}>
          <JsonField
            label="Method settings (JSON)"
            value={form.methodSettings}
            onChange={methodSettings => onChange({ methodSettings })}
            error={problemOf('methodSettings')}
            helperText="Every key of the method but its type, as in app-config"
          />
        </Grid>
      )}
    </Grid>
  );
}
