import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { Link as RouterLink } from 'react-router-dom';
import { useRunPageLink } from '../../hooks/useRunPageLink';
import { RunView } from './RunView';

/** A run in a dialog, over the page it was started from. */
export function RunViewDialog(props: {
  runId?: string;
  onClose(): void;
  onRerun(run: Run): void;
}) {
  const { runId, onClose, onRerun } = props;
  const runLink = useRunPageLink();
  return (
    <Dialog open={!!runId} onClose={onClose} fullWidth maxWidth="md" aria-labelledby="ssa-run-title">
      <DialogTitle id="ssa-run-title">Run</DialogTitle>
      <DialogContent>{runId && <RunView key={runId} runId={runId} onRerun={onRerun} />}</DialogContent>
      <DialogActions>
        {runId && runLink(runId) && (
          <Button component={RouterLink} to={runLink(runId)!}>
            Open page
          </Button>
        )}
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
