import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Run, RunApproval } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { errorMessage } from '../../utils/errorMessage';

/** "Waiting for 1 more approval from group:default/sre or user:default/olivia". */
export function waitingFor(approval: RunApproval): string {
  const approved = approval.decisions.filter(d => d.decision === 'approved').length;
  const missing = Math.max(approval.required - approved, 0);
  return `Waiting for ${missing} more approval${missing === 1 ? '' : 's'} from ${approval.approvers.join(' or ')}`;
}

/** Props of {@link ApprovalPanel}. */
export interface ApprovalPanelProps {
  run: Run & { approval: RunApproval };
  /** Called with the run after a decision. */
  onDecided(run: Run): void;
}

/**
 * The approval of a run: what it waits for, the decisions so far, and Approve / Reject for
 * whoever may decide now (a rejection needs a comment).
 */
export function ApprovalPanel(props: ApprovalPanelProps) {
  const { run, onDecided } = props;
  const { approval } = run;
  const api = useApi(selfServiceActionsApiRef);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [commentMissing, setCommentMissing] = useState(false);
  const waiting = run.status === 'pending-approval';

  const submit = async (decision: 'approve' | 'reject') => {
    setError(undefined);
    if (decision === 'reject' && !comment.trim()) {
      setCommentMissing(true);
      return;
    }
    setBusy(true);
    try {
      onDecided(
        decision === 'approve'
          ? await api.approveRun(run.id, comment.trim() || undefined)
          : await api.rejectRun(run.id, comment.trim()),
      );
      setComment('');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box mt={2} data-testid="run-approval">
      <Typography variant="subtitle2" component="h4" gutterBottom>
        Approval
      </Typography>
      {waiting && (
        <Typography variant="body2" data-testid="approval-waiting">
          {waitingFor(approval)}
          {approval.allowSelfApproval ? '' : ' (not the initiator)'}; expires{' '}
          {new Date(approval.expiresAt).toLocaleString()}.
        </Typography>
      )}
      {approval.decisions.length > 0 && (
        <List dense aria-label="Decisions">
          {approval.decisions.map(decision => (
            <ListItem key={decision.by} disableGutters>
              <ListItemText
                primary={
                  <>
                    <EntityRefLink entityRef={decision.by} />{' '}
                    {decision.decision === 'approved' ? 'approved' : 'rejected'}
                    {' · '}
                    {new Date(decision.at).toLocaleString()}
                  </>
                }
                secondary={decision.comment ?? undefined}
              />
            </ListItem>
          ))}
        </List>
      )}
      {approval.canDecide && (
        <Box mt={1}>
          <TextField
            id="ssa-decision-comment"
            label="Comment"
            helperText={
              commentMissing ? 'Say why you reject this run' : 'Optional to approve, required to reject'
            }
            error={commentMissing}
            value={comment}
            onChange={event => {
              setComment(event.target.value);
              setCommentMissing(false);
            }}
            fullWidth
            multiline
            minRows={2}
            variant="outlined"
            InputLabelProps={{ shrink: true }}
            inputProps={{ maxLength: 2000 }}
          />
          <Box mt={1} display="flex" style={{ gap: 8 }}>
            <Button variant="contained" color="primary" disabled={busy} onClick={() => submit('approve')}>
              Approve
            </Button>
            <Button variant="outlined" color="secondary" disabled={busy} onClick={() => submit('reject')}>
              Reject
            </Button>
          </Box>
        </Box>
      )}
      {error && (
        <Box mt={1}>
          <Alert severity="error">{error}</Alert>
        </Box>
      )}
    </Box>
  );
}
