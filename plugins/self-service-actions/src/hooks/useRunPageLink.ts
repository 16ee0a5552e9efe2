import { useRouteRef } from '@backstage/core-plugin-api';
import { runRouteRef } from '../routes';

/**
 * The link to a run's page, or undefined when the app does not mount the Self-service page
 * (an adopter may install only the entity tab): links to it are then left out.
 */
export function useRunPageLink(): (runId: string) => string | undefined {
  let link: ((params: { id: string }) => string) | undefined;
  try {
    // Called once on every render (the try only catches an unmounted route): order is stable.
    // eslint-disable-next-line react-hooks/rules-of-hooks
    link = useRouteRef(runRouteRef);
  } catch {
    link = undefined;
  }
  return runId => link?.({ id: runId });
}
