import { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import LinkIcon from '@material-ui/icons/Link';
import Alert from '@material-ui/lab/Alert';
import { rootRouteRef, runRouteRef } from '../../routes';
import { useLiveRun } from '../../hooks/useLiveRun';
import { autoSelectedStep, entityName } from '../../utils/runText';
import { ApprovalPanel } from '../ApprovalPanel/ApprovalPanel';
import { RunActions } from '../RunActions/RunActions';
import { RunInputs } from '../RunDetails/RunInputs';
import { RunMessages } from '../RunDetails/RunMessages';
import { RunNotices } from '../RunDetails/RunNotices';
import { RunStatusAnnouncer } from '../RunDetails/RunStatusAnnouncer';
import { RunStepList } from './RunStepList';
import { RunSummary } from './RunSummary';
import { StepLog } from './StepLog';

function CopyLinkButton() {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await window.navigator.clipboard?.writeText(window.location.href);
    setCopied(true);
  };
  return (
    <Button variant="outlined" startIcon={<LinkIcon />} onClick={copy}>
      {copied ? 'Link copied' : 'Copy link'}
    </Button>
  );
}

/**
 * A run laid out like Scaffolder's task page: who, what and how it stands on top with Re-run
 * and Cancel; the steps on the left and the selected step's log on the right. The log follows
 * the step running now (or opens the failed one) until the user picks a step.
 */
function RunDetails(props: { run: Run; setRun(run: Run): void }) {
  const { run, setRun } = props;
  const navigate = useNavigate();
  const runLink = useRouteRef(runRouteRef);
  const [picked, setPicked] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const selectedTitle = run.steps.some(step => step.title === picked) ? picked : autoSelectedStep(run.steps);
  const selected = run.steps.find(step => step.title === selectedTitle);
  const target = entityName(run.entityRef);

  return (
    <>
      <RunStatusAnnouncer run={run} />
      <ContentHeader title={target ? `${run.actionName} on ${target}` : run.actionName}>
        <Box display="flex" style={{ gap: 8 }}>
          <CopyLinkButton />
          <RunActions
            run={run}
            onChanged={setRun}
            onRerun={created => navigate(runLink({ id: created.id }))}
            onError={setActionError}
          />
        </Box>
      </ContentHeader>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <Paper>
            <Box p={2}>
              <RunSummary run={run} />
            </Box>
          </Paper>
        </Grid>
        {(actionError || run.error || run.message) && (
          <Grid item xs={12}>
            {actionError && <Alert severity="error">{actionError}</Alert>}
            <RunNotices run={run} />
          </Grid>
        )}
        {run.approval && (
          <Grid item xs={12}>
            <ApprovalPanel run={{ ...run, approval: run.approval }} onDecided={setRun} />
          </Grid>
        )}
        <Grid item xs={12} md={4} lg={3}>
          <Paper style={{ height: '100%' }}>
            <Typography variant="h6" component="h2" style={{ padding: '8px 16px 0' }}>
              Steps
            </Typography>
            <RunStepList run={run} selected={selectedTitle} onSelect={setPicked} />
          </Paper>
        </Grid>
        <Grid item xs={12} md={8} lg={9}>
          <Paper style={{ height: '100%' }}>
            <StepLog run={run} step={selected} />
          </Paper>
        </Grid>
        <Grid item xs={12} md={6} lg={4}>
          <InfoCard title="Inputs">
            <RunInputs run={run} />
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6} lg={4}>
          <InfoCard title="Messages">
            <RunMessages run={run} />
          </InfoCard>
        </Grid>
        <Grid item xs={12} lg={4}>
          <InfoCard title="Links">
            {run.links.length === 0 ? (
              <Typography variant="body2" color="textSecondary">
                No links reported.
              </Typography>
            ) : (
              <ul style={{ margin: 0 }}>
                {run.links.map(link => (
                  <li key={link.url}>
                    <Link to={link.url}>{link.title ?? link.url}</Link>
                  </li>
                ))}
              </ul>
            )}
          </InfoCard>
        </Grid>
      </Grid>
    </>
  );
}

function RunPageOf(props: { id: string }) {
  const { id } = props;
  const rootLink = useRouteRef(rootRouteRef);
  const { run, error, setRun } = useLiveRun(id);
  let body = <Progress />;
  if (run) body = <RunDetails run={run} setRun={setRun} />;
  else if (error) body = <ResponseErrorPanel error={error} />;
  return (
    <Page themeId="tool">
      <Header
        title={run?.actionName ?? 'Run'}
        subtitle={`Run ${id}`}
        type="Self-service"
        typeLink={rootLink()}
      />
      <Content>{body}</Content>
    </Page>
  );
}

/**
 * The page of one run at `/self-service-actions/runs/:id`: a link to share in an incident, and
 * where notifications point. Live until the run is final (signals, else polling); another run
 * (after Re-run) starts afresh, its step picked anew.
 */
export function RunPage() {
  const { id = '' } = useParams();
  return <RunPageOf key={id} id={id} />;
}
