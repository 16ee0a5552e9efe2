import { useState } from 'react';
import { Progress, ResponseErrorPanel, Link } from '@backstage/core-components';
import { LogLines } from '../LogLines/LogLines';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Run, RunStep } from '@self-service-actions/plugin-self-service-actions-common';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import Alert from '@material-ui/lab/Alert';
import { RunStatusChip } from '../RunStatusChip/RunStatusChip';
import { ApprovalPanel } from '../ApprovalPanel/ApprovalPanel';
import { RunActions } from '../RunActions/RunActions';
import { RunInputs } from '../RunDetails/RunInputs';
import { RunNotices } from '../RunDetails/RunNotices';
import { RunStatusAnnouncer } from '../RunDetails/RunStatusAnnouncer';
import { useLiveRun } from '../../hooks/useLiveRun';
import { formatDuration } from '../../utils/formatDuration';
import { isUnfinishedStep, noStepsText } from '../../utils/runText';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

function StepItem(props: { step: RunStep; index: number; run: Run }) {
  const { step, index, run } = props;
  const id = `ssa-step-${index}`;
  const unfinished = isUnfinishedStep(step, run);
  return (
    <Accordion TransitionProps={{ unmountOnExit: true }} data-testid="run-step">
      <AccordionSummary expandIcon={<ExpandMoreIcon />} aria-controls={`${id}-logs`} id={id}>
        <Box display="flex" alignItems="center" width="100%" style={{ gap: 16 }}>
          <Typography style={{ flexGrow: 1 }}>{step.title}</Typography>
          <RunStatusChip status={step.status} unfinished={unfinished} />
          <Typography variant="caption" color="textSecondary">
            {formatDuration(step.startedAt, step.completedAt ?? (unfinished ? run.completedAt : null))}
          </Typography>
        </Box>
      </AccordionSummary>
      <AccordionDetails id={`${id}-logs`}>
        {step.logs?.length ? (
          <div style={{ height: 200, width: '100%' }}>
            <LogLines lines={step.logs} label={`Log of ${step.title}`} />
          </div>
        ) : (
          <Typography variant="body2" color="textSecondary">
            No logs.
          </Typography>
        )}
      </AccordionDetails>
    </Accordion>
  );
}

/** Props of {@link RunView}. */
export interface RunViewProps {
  runId: string;
  /** Called with the new run when the user re-runs. */
  onRerun?(run: Run): void;
}

/** One run, live until it is final: status, who and when, inputs, steps with logs, links. */
export function RunView(props: RunViewProps) {
  const { runId, onRerun } = props;
  const { run, error, setRun } = useLiveRun(runId);
  const [actionError, setActionError] = useState<string>();

  if (!run && error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!run) {
    return <Progress />;
  }

  // A run held for approval has not started: it shows when it was requested instead.
  const startedAt = run.startedAt ?? (run.approval ? null : run.createdAt);

  return (
    <Box data-testid="run-view">
      <Box display="flex" alignItems="center" flexWrap="wrap" style={{ gap: 16 }} mb={2}>
        <Typography variant="h6" component="h3">
          {run.actionName}
        </Typography>
        <RunStatusChip status={run.status} approval={run.approval} />
        <Box flexGrow={1} />
        <RunActions run={run} onChanged={setRun} onRerun={onRerun} onError={setActionError} />
      </Box>
      {actionError && <Alert severity="error">{actionError}</Alert>}
      <RunNotices run={run} />
      {run.approval && <ApprovalPanel run={{ ...run, approval: run.approval }} onDecided={setRun} />}
      <Table size="small" aria-label="Run details">
        <TableBody>
          {run.entityRef && (
            <TableRow>
              <TableCell component="th" scope="row">Entity</TableCell>
              <TableCell><EntityRefLink entityRef={run.entityRef} /></TableCell>
            </TableRow>
          )}
          <TableRow>
            <TableCell component="th" scope="row">Initiated by</TableCell>
            <TableCell>
              <EntityRefLink entityRef={run.initiatedBy} />
              {run.initiatedVia === 'actions-registry' && (
                <Typography component="span" variant="body2" color="textSecondary">
                  {' '}through an AI agent (actions registry)
                </Typography>
              )}
            </TableCell>
          </TableRow>
          {run.approval && (
            <TableRow>
              <TableCell component="th" scope="row">Requested</TableCell>
              <TableCell>{when(run.createdAt)}</TableCell>
            </TableRow>
          )}
          <TableRow>
            <TableCell component="th" scope="row">Started</TableCell>
            <TableCell>{when(startedAt)}</TableCell>
          </TableRow>
          <TableRow>
            <TableCell component="th" scope="row">Completed</TableCell>
            <TableCell>{when(run.completedAt)}</TableCell>
          </TableRow>
          <TableRow>
            <TableCell component="th" scope="row">Duration</TableCell>
            <TableCell>{formatDuration(startedAt, run.completedAt) || '—'}</TableCell>
          </TableRow>
        </TableBody>
      </Table>
      <Box mt={2}>
        <Typography variant="subtitle2" component="h4" gutterBottom>
          Inputs
        </Typography>
        <RunInputs run={run} />
      </Box>
      {run.links.length > 0 && (
        <Box mt={2}>
          <Typography variant="subtitle2" component="h4">Links</Typography>
          <ul>
            {run.links.map(link => (
              <li key={link.url}>
                <Link to={link.url}>{link.title ?? link.url}</Link>
              </li>
            ))}
          </ul>
        </Box>
      )}
      <Box mt={2}>
        <Typography variant="subtitle2" component="h4" gutterBottom>
          Steps
        </Typography>
        {run.steps.length === 0 ? (
          <Typography variant="body2" color="textSecondary">
            {noStepsText(run)}
          </Typography>
        ) : (
          run.steps.map((step, index) => <StepItem key={step.title} step={step} index={index} run={run} />)
        )}
      </Box>
      <RunStatusAnnouncer run={run} />
    </Box>
  );
}
