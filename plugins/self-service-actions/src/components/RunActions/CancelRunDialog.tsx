import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import { useDangerButtonStyles } from './dangerButton';

/**
 * Asks before a run is cancelled, and says what a cancel does: the backend only marks the run
 * (and its unfinished steps) terminated; nothing is sent to the external system, which may go on.
 */
export function CancelRunDialog(props: {
  open: boolean;
  busy: boolean;
  actionName: string;
  onConfirm(): void;
  onClose(): void;
}) {
  const { open, busy, actionName, onConfirm, onClose } = props;
  const classes = useDangerButtonStyles();
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="ssa-cancel-title" aria-describedby="ssa-cancel-text">
      <DialogTitle id="ssa-cancel-title">Cancel this run of {actionName}?</DialogTitle>
      <DialogContent>
        <DialogContentText id="ssa-cancel-text">
          The run and its unfinished steps are marked terminated. The external system is told
          nothing: whatever it already started may go on, and the reports it sends from now on are
          refused.
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>
          Keep running
        </Button>
        <Button variant="contained" className={classes.danger} onClick={onConfirm} disabled={busy}>
          {busy ? 'Cancelling…' : 'Cancel run'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
