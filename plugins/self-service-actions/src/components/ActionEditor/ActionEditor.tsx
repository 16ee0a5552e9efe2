import { useCallback, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { Link } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import { JsonObject, Run, RunPreview } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { editActionRouteRef, runRouteRef } from '../../routes';
import { errorMessage } from '../../utils/errorMessage';
import { RequestPreview } from '../RunDialog/RequestPreview';
import { DefinitionFields } from './DefinitionFields';
import { DefinitionForm, FormProblem, placeFieldErrors, problemText, toDefinition } from './definitionForm';
import { FormPreview } from './FormPreview';
import { JsonField } from './JsonField';

/** Props of {@link ActionEditor}. */
export interface ActionEditorProps {
  initial: DefinitionForm;
  /** A saved action: its id and version (absent for a new one). */
  saved?: { id: string; version: number };
  allowedUrls: string[];
}

/**
 * The editor of an owner-managed action: its fields, its input schema with the form drawn live,
 * Save (a new one as a Draft), Activate, Preview request and Test run (of what is saved), and
 * the server's problems on the fields they concern.
 */
export function ActionEditor(props: ActionEditorProps) {
  const { initial, allowedUrls } = props;
  const api = useApi(selfServiceActionsApiRef);
  const navigate = useNavigate();
  const editLink = useRouteRef(editActionRouteRef);
  const runLink = useRouteRef(runRouteRef);
  const [form, setForm] = useState(initial);
  const [saved, setSaved] = useState(props.saved);
  const [dirty, setDirty] = useState(!props.saved);
  const [problems, setProblems] = useState<FormProblem[]>([]);
  const [message, setMessage] = useState<{ severity: 'success' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);
  const [formData, setFormData] = useState<JsonObject>({});
  const [entityRef, setEntityRef] = useState('component:default/payments');
  const [preview, setPreview] = useState<RunPreview>();
  const [testRun, setTestRun] = useState<Run>();

  // Stable, so that the JSON editors and the form preview do not redraw on every keystroke.
  const change = useCallback((next: Partial<DefinitionForm>) => {
    setForm(current => ({ ...current, ...next }));
    setDirty(true);
    setPreview(undefined);
  }, []);
  const setUserInputs = useCallback((userInputs: string) => change({ userInputs }), [change]);
  const setUiSchema = useCallback((uiSchema: string) => change({ uiSchema }), [change]);

  const refused = (error: unknown) => {
    const body = error instanceof ResponseError ? (error.body.error as { fieldErrors?: any[] }) : undefined;
    const placed = placeFieldErrors(body?.fieldErrors ?? [], form.methodType);
    setProblems(placed);
    const unplaced = placed.filter(problem => !problem.field).map(p => `${p.path} ${p.message}`);
    setMessage({ severity: 'error', text: [errorMessage(error), ...unplaced].join(' — ') });
  };

  const save = async (status: DefinitionForm['status']) => {
    const next = { ...form, status };
    const { definition, problems: local } = toDefinition(next);
    setProblems(local);
    if (!definition) {
      setMessage({ severity: 'error', text: 'Fix the JSON fields marked below.' });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      if (!saved) {
        const created = await api.createAction(definition);
        navigate(editLink({ id: created.id }));
        return;
      }
      const updated = await api.updateAction(saved.id, saved.version, definition);
      setSaved({ id: updated.id, version: updated.version });
      setForm(next);
      setDirty(false);
      setMessage({ severity: 'success', text: `Saved as version ${updated.version} (${updated.status}).` });
    } catch (error) {
      refused(error);
    } finally {
      setBusy(false);
    }
  };

  const runBody = () => ({ ...(form.appliesTo.length > 0 || form.kept.appliesTo.length > 0 ? { entityRef } : {}), inputs: formData });

  /** Preview request and Test run: one call at a time, the server's refusal on the fields. */
  const call = async (work: () => Promise<void>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await work();
    } catch (error) {
      refused(error);
    } finally {
      setBusy(false);
    }
  };
  const previewRequest = () => call(async () => setPreview(await api.previewRun(saved!.id, runBody())));
  const fireTest = () => call(async () => setTestRun(await api.testRun(saved!.id, runBody())));

  const problemOf = (field: keyof DefinitionForm) => problemText(problems, field);

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        {message && <Alert severity={message.severity}>{message.text}</Alert>}
      </Grid>
      <Grid item xs={12} lg={7}>
        <Paper variant="outlined">
          <Box p={2}>
            <DefinitionFields form={form} onChange={change} problems={problems} saved={Boolean(saved)} allowedUrls={allowedUrls} />
          </Box>
        </Paper>
      </Grid>
      <Grid item xs={12} lg={5}>
        <Paper variant="outlined">
          <Box p={2}>
            <Typography variant="h6">Inputs</Typography>
            <JsonField
              label="Input schema (JSON Schema)"
              value={form.userInputs}
              onChange={setUserInputs}
              error={problemOf('userInputs')}
              minHeight="160px"
            />
            <JsonField label="uiSchema (JSON)" value={form.uiSchema} onChange={setUiSchema} error={problemOf('uiSchema')} minHeight="60px" />
            <Typography variant="subtitle2">The form developers will see</Typography>
            <FormPreview schemaText={form.userInputs} uiSchemaText={form.uiSchema} formData={formData} onChange={setFormData} />
          </Box>
        </Paper>
      </Grid>
      <Grid item xs={12}>
        <Box display="flex" flexWrap="wrap" alignItems="center" style={{ gap: 8 }}>
          <Button variant="contained" color="primary" disabled={busy} onClick={() => save(saved ? form.status : 'Draft')}>
            {saved ? 'Save' : 'Save as Draft'}
          </Button>
          {saved && form.status === 'Draft' && (
            <Button variant="outlined" color="primary" disabled={busy} onClick={() => save('Active')}>
              Activate
            </Button>
          )}
          {saved && (
            <>
              <TextField
                id="action-test-entity"
                label="Entity to preview and test on"
                value={entityRef}
                onChange={event => setEntityRef(event.target.value)}
                size="small"
                variant="outlined"
                style={{ minWidth: 280 }}
              />
              <Button variant="outlined" disabled={busy || dirty} onClick={previewRequest}>
                Preview request
              </Button>
              <Button variant="outlined" disabled={busy || dirty} onClick={fireTest}>
                Test run
              </Button>
              {dirty && <Typography variant="body2" color="textSecondary">Save to preview or test your changes.</Typography>}
            </>
          )}
        </Box>
      </Grid>
      {testRun && (
        <Grid item xs={12}>
          <Alert severity="info">
            Test run started ({testRun.status}): <Link to={runLink({ id: testRun.id })}>open the test run</Link>
          </Alert>
        </Grid>
      )}
      {preview && (
        <Grid item xs={12}>
          <RequestPreview preview={preview} />
        </Grid>
      )}
    </Grid>
  );
}
