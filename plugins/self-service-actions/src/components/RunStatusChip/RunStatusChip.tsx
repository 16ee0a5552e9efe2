import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { RunStatus } from '@self-service-actions/plugin-self-service-actions-common';

const labels: Record<RunStatus, string> = {
  inprogress: 'In progress',
  'pending-approval': 'Pending approval',
  complete: 'Complete',
  failed: 'Failed',
  terminated: 'Terminated',
  rejected: 'Rejected',
};

const indicators = {
  inprogress: StatusRunning,
  'pending-approval': StatusPending,
  complete: StatusOK,
  failed: StatusError,
  terminated: StatusAborted,
  rejected: StatusWarning,
};

/** A run's or step's status as a coloured indicator and a label. */
export function RunStatusChip(props: { status: RunStatus }) {
  const Indicator = indicators[props.status] ?? StatusPending;
  return (
    <span data-testid="run-status" data-status={props.status}>
      <Indicator>{labels[props.status] ?? props.status}</Indicator>
    </span>
  );
}
