import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { PublicActionDefinition, Run } from '@self-service-actions/plugin-self-service-actions-common';
import Grid from '@material-ui/core/Grid';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { ActionList } from '../ActionList/ActionList';
import { RunDialog } from '../RunDialog/RunDialog';
import { RunViewDialog } from '../RunView/RunViewDialog';
import { RunsTable } from '../RunsTable/RunsTable';

/** Props of {@link ActionsPanel}. */
export interface ActionsPanelProps {
  /** The entity the actions run against; without it, global actions are offered. */
  entity?: Entity;
  /** Show the runs table under the actions. */
  showRuns: boolean;
  /** Wrap the actions in a card of this title (the runs get a card of their own). */
  title?: string;
}

/**
 * Actions, the run form, the live run and the runs table, wired together: running an action
 * opens its run, and the table refreshes.
 */
export function ActionsPanel(props: ActionsPanelProps) {
  const { entity, showRuns, title = 'Self-service actions' } = props;
  const api = useApi(selfServiceActionsApiRef);
  const entityRef = entity ? stringifyEntityRef(entity) : undefined;
  const actions = useAsyncRetry(async () => {
    const all = await api.listActions(entityRef ? { entityRef } : {});
    return entityRef ? all : all.filter(action => !action.appliesTo);
  }, [api, entityRef]);
  const [runningAction, setRunningAction] = useState<PublicActionDefinition>();
  const [openRunId, setOpenRunId] = useState<string>();
  const [refreshKey, setRefreshKey] = useState(0);

  const showRun = (run: Run) => {
    setRunningAction(undefined);
    setOpenRunId(run.id);
    setRefreshKey(k => k + 1);
  };

  return (
    <>
      <Grid container spacing={3}>
        {/* The runs below the actions, full width: beside them the table's columns wrapped. */}
        <Grid item xs={12}>
          <InfoCard title={title} noPadding>
            <ActionList
              actions={actions.value}
              loading={actions.loading}
              error={actions.error}
              onRetry={actions.retry}
              entity={entity}
              onRun={setRunningAction}
            />
          </InfoCard>
        </Grid>
        {showRuns && (
          <Grid item xs={12}>
            <InfoCard title="Runs">
              <RunsTable entityRef={entityRef} refreshKey={refreshKey} onOpenRun={setOpenRunId} />
            </InfoCard>
          </Grid>
        )}
      </Grid>
      {runningAction && (
        <RunDialog
          open
          action={runningAction}
          entity={entity}
          onClose={() => setRunningAction(undefined)}
          onCreated={showRun}
        />
      )}
      <RunViewDialog
        runId={openRunId}
        onClose={() => {
          setOpenRunId(undefined);
          setRefreshKey(k => k + 1);
        }}
        onRerun={showRun}
      />
    </>
  );
}
