import { useEntity } from '@backstage/plugin-catalog-react';
import { ActionsPanel } from '../ActionsPanel/ActionsPanel';

/** The overview card: the actions that apply to the entity, each runnable from the card. */
export function EntityActionsCard(props: { title?: string }) {
  const { entity } = useEntity();
  return <ActionsPanel entity={entity} showRuns={false} title={props.title} />;
}
