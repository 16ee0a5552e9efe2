import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  isFinalStatus,
  PublicActionDefinition,
  Run,
} from '@self-service-actions/plugin-self-service-actions-common';
import Button from '@material-ui/core/Button';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { RunDialog } from '../RunDialog/RunDialog';
import { CancelRunDialog } from './CancelRunDialog';
import { errorMessage } from '../../utils/errorMessage';

/** Props of {@link RunActions}. */
export interface RunActionsProps {
  run: Run;
  /** Called with the run as it is after a cancel. */
  onChanged(run: Run): void;
  /** Called with the new run after a re-run. */
  onRerun?(run: Run): void;
  /** Called with what went wrong, or undefined when a new attempt starts. */
  onError(message: string | undefined): void;
}

/**
 * Re-run and Cancel of a run. Cancel asks first; Re-run is offered only once the run is final
 * (re-running a run still going would start a second one beside it) and opens the form
 * prefilled, on the run's own entity.
 */
export function RunActions(props: RunActionsProps) {
  const { run, onChanged, onRerun, onError } = props;
  const api = useApi(selfServiceActionsApiRef);
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [rerunAction, setRerunAction] = useState<PublicActionDefinition>();

  const cancel = async () => {
    onError(undefined);
    setCancelling(true);
    try {
      onChanged(await api.cancelRun(run.id));
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setCancelling(false);
      setConfirmingCancel(false);
    }
  };
  const openRerun = async () => {
    onError(undefined);
    try {
      setRerunAction(await api.getAction(run.actionId));
    } catch (e) {
      onError(errorMessage(e));
    }
  };

  return (
    <>
      {run.canRerun && isFinalStatus(run.status) && (
        <Button variant="outlined" onClick={openRerun}>
          Re-run
        </Button>
      )}
      {run.canCancel && (
        <Button variant="outlined" color="secondary" onClick={() => setConfirmingCancel(true)}>
          Cancel run
        </Button>
      )}
      <CancelRunDialog
        open={confirmingCancel}
        busy={cancelling}
        actionName={run.actionName}
        onConfirm={cancel}
        onClose={() => setConfirmingCancel(false)}
      />
      {rerunAction && (
        <RunDialog
          open
          action={rerunAction}
          rerunOf={run}
          onClose={() => setRerunAction(undefined)}
          onCreated={created => {
            setRerunAction(undefined);
            onRerun?.(created);
          }}
        />
      )}
    </>
  );
}
