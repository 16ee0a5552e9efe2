import { PublicActionDefinition } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { FormPreview } from './FormPreview';
import { JsonField } from './JsonField';

const describeTargets = (action: PublicActionDefinition) =>
  action.appliesTo?.map(target => (typeof target === 'string' ? target : `${target.kind}${target.type ? ` (${target.type})` : ''}`)).join(', ') ??
  'none: a global action';

/**
 * An action's configuration for those who may see it but not change it (configure8: "other
 * user types can preview action configurations"): what the API shows them, so never the URL,
 * headers or payload template.
 */
export function ReadOnlyAction(props: { action: PublicActionDefinition; reason: string }) {
  const { action, reason } = props;
  const rows: Array<[string, string]> = [
    ['Id', action.id],
    ['Type', action.type],
    ['Status', action.status],
    ['Owner', action.owner],
    ['Visibility', action.visibility],
    ['Applies to', describeTargets(action)],
    ['Method', action.method.type],
    ['Defined in', action.source === 'api' ? `the portal (version ${action.version})` : 'app-config'],
    ...(action.updatedAt ? ([['Last changed', new Date(action.updatedAt).toLocaleString()]] as Array<[string, string]>) : []),
  ];
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Alert severity="info">{reason}</Alert>
      </Grid>
      <Grid item xs={12} md={6}>
        <Paper variant="outlined">
          <Box p={2}>
            <Typography variant="h6">{action.name}</Typography>
            {action.description && <Typography color="textSecondary">{action.description}</Typography>}
            <Box component="dl" mt={2}>
              {rows.map(([label, value]) => (
                <Box key={label} display="flex" mb={1}>
                  <Typography component="dt" variant="body2" style={{ minWidth: 120, fontWeight: 500 }}>
                    {label}
                  </Typography>
                  <Typography component="dd" variant="body2" style={{ margin: 0 }}>
                    {value}
                  </Typography>
                </Box>
              ))}
            </Box>
          </Box>
        </Paper>
      </Grid>
      <Grid item xs={12} md={6}>
        <Paper variant="outlined">
          <Box p={2}>
            <JsonField label="Input schema (JSON Schema)" value={JSON.stringify(action.userInputs, null, 2)} />
            <Typography variant="subtitle2">The form</Typography>
            <FormPreview
              schemaText={JSON.stringify(action.userInputs)}
              uiSchemaText={action.uiSchema ? JSON.stringify(action.uiSchema) : ''}
              formData={{}}
              onChange={() => {}}
            />
          </Box>
        </Paper>
      </Grid>
    </Grid>
  );
}
