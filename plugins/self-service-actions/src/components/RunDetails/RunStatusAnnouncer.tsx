import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import { makeStyles } from '@material-ui/core/styles';
import { RUN_STATUS_LABELS } from '../RunStatusChip/RunStatusChip';

const useStyles = makeStyles({
  visuallyHidden: {
    position: 'absolute',
    width: 1,
    height: 1,
    margin: -1,
    padding: 0,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    border: 0,
  },
});

/**
 * The one live region of a run: screen readers hear its status change (politely), not every
 * log line or timestamp that refreshes around it.
 */
export function RunStatusAnnouncer(props: { run: Pick<Run, 'actionName' | 'status'> }) {
  const classes = useStyles();
  return (
    <div role="status" aria-live="polite" aria-atomic="true" className={classes.visuallyHidden}>
      {props.run.actionName}: {RUN_STATUS_LABELS[props.run.status] ?? props.run.status}
    </div>
  );
}
