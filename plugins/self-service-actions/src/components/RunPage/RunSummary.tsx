import { ReactNode } from 'react';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { RunStatusChip } from '../RunStatusChip/RunStatusChip';
import { formatDuration } from '../../utils/formatDuration';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

function Field(props: { label: string; children: ReactNode }) {
  return (
    <Grid item xs={12} sm={6} md={3}>
      <Typography variant="overline" component="dt" color="textSecondary">
        {props.label}
      </Typography>
      <Typography variant="body2" component="dd" style={{ margin: 0, overflowWrap: 'anywhere' }}>
        {props.children}
      </Typography>
    </Grid>
  );
}

/** Who ran what, on which entity, when, and how it stands: the top of a run's page. */
export function RunSummary(props: { run: Run }) {
  const { run } = props;
  // A run held for approval has not started: it shows when it was requested instead.
  const startedAt = run.startedAt ?? (run.approval ? null : run.createdAt);
  return (
    <Grid container spacing={2} component="dl" aria-label="Run summary" data-testid="run-summary" style={{ margin: 0 }}>
      <Field label="Status">
        <RunStatusChip status={run.status} approval={run.approval} />
      </Field>
      <Field label="Entity">{run.entityRef ? <EntityRefLink entityRef={run.entityRef} /> : '—'}</Field>
      <Field label="Initiated by">
        <EntityRefLink entityRef={run.initiatedBy} />
        {run.initiatedVia === 'actions-registry' && ' through an AI agent (actions registry)'}
      </Field>
      <Field label="Run id">
        <code>{run.id}</code>
      </Field>
      {run.approval && <Field label="Requested">{when(run.createdAt)}</Field>}
      <Field label="Started">{when(startedAt)}</Field>
      <Field label="Completed">{when(run.completedAt)}</Field>
      <Field label="Duration">{formatDuration(startedAt, run.completedAt) || '—'}</Field>
    </Grid>
  );
}
