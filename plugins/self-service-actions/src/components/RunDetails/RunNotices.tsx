import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { explainRunError, messageByWhom } from '../../utils/runText';

const time = (iso: string) => new Date(iso).toLocaleString();

/** A message, with the user it names ("Cancelled by user:default/jane") by display name. */
export function RunMessageText(props: { message: string }) {
  const byWhom = messageByWhom(props.message);
  if (!byWhom) return <>{props.message}</>;
  return (
    <>
      {byWhom.text} <EntityRefLink entityRef={byWhom.by} />
      {byWhom.rest}
    </>
  );
}

/**
 * What a user reads first about a run: why it failed, in plain words with the raw reason
 * under them, and the last update with its time (the latest message, not the first one).
 */
export function RunNotices(props: { run: Run }) {
  const { run } = props;
  const explained = explainRunError(run);
  return (
    <>
      {explained && (
        <Alert severity="error" data-testid="run-error">
          <AlertTitle>{explained.summary}</AlertTitle>
          Reason: {explained.reason}
        </Alert>
      )}
      {run.message && (
        <Alert
          severity={run.status === 'failed' ? 'warning' : 'info'}
          data-testid="run-message"
          style={{ marginTop: explained ? 8 : 0 }}
        >
          <AlertTitle>Last update, {time(run.updatedAt)}</AlertTitle>
          <RunMessageText message={run.message} />
        </Alert>
      )}
    </>
  );
}
