import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { RunApproval, RunStatus } from '@self-service-actions/plugin-self-service-actions-common';

/** How each status reads in the UI (filters, chips). */
export const RUN_STATUS_LABELS: Record<RunStatus, string> = {
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

/**
 * A run's or step's status as a coloured indicator and a label. A run waiting for its
 * approvals says how many are in, and (on hover) from whom the rest may come. A step its run
 * left open when it ended (`unfinished`) says "Not finished" rather than spin for ever.
 */
export function RunStatusChip(props: {
  status: RunStatus;
  approval?: RunApproval | null;
  unfinished?: boolean;
}) {
  const { status, approval, unfinished } = props;
  if (unfinished) {
    return (
      <span data-testid="run-status" data-status="unfinished">
        <StatusAborted>Not finished</StatusAborted>
      </span>
    );
  }
  const Indicator = indicators[status] ?? StatusPending;
  const waiting = status === 'pending-approval' && approval;
  const approved = approval?.decisions.filter(d => d.decision === 'approved').length ?? 0;
  return (
    <span
      data-testid="run-status"
      data-status={status}
      title={waiting ? `Approvers: ${approval.approvers.join(', ')}` : undefined}
    >
      <Indicator>
        {RUN_STATUS_LABELS[status] ?? status}
        {waiting ? ` (${approved} of ${approval.required})` : ''}
      </Indicator>
    </span>
  );
}
