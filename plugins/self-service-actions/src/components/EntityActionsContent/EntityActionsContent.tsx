import { useEntity } from '@backstage/plugin-catalog-react';
import { ActionsPanel } from '../ActionsPanel/ActionsPanel';

/** The entity tab: the actions that apply to the entity and its runs. */
export function EntityActionsContent() {
  const { entity } = useEntity();
  return <ActionsPanel entity={entity} showRuns />;
}
