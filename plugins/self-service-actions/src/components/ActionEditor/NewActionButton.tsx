import useAsync from 'react-use/esm/useAsync';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { LinkButton } from '@backstage/core-components';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { newActionRouteRef } from '../../routes';

/** "New action", for those who may create actions in the portal (GET /me says so). */
export function NewActionButton() {
  const api = useApi(selfServiceActionsApiRef);
  const newAction = useRouteRef(newActionRouteRef);
  const { value: caller } = useAsync(() => api.getCaller(), [api]);
  if (!caller?.canCreateActions) return null;
  return (
    <LinkButton to={newAction()} variant="contained" color="primary">
      New action
    </LinkButton>
  );
}
