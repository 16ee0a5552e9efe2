import { useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import { selfServiceActionsApiRef } from '../api/SelfServiceActionsApi';

/**
 * The action a run is of, for its form's titles; undefined while loading or when it cannot be
 * read (removed since, or hidden from the user): the run is then shown by its input keys.
 */
export function useRunAction(actionId: string | undefined) {
  const api = useApi(selfServiceActionsApiRef);
  const { value } = useAsync(
    async () => (actionId ? api.getAction(actionId).catch(() => undefined) : undefined),
    [api, actionId],
  );
  return value;
}
