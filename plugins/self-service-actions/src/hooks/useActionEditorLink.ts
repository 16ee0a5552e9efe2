import { useRouteRef } from '@backstage/core-plugin-api';
import { editActionRouteRef } from '../routes';

/**
 * The link to an action's editor (a read-only view for those who may not change it), or
 * undefined when the app does not mount the Self-service page: links to it are left out.
 */
export function useActionEditorLink(): (actionId: string) => string | undefined {
  let link: ((params: { id: string }) => string) | undefined;
  try {
    // Called once on every render (the try only catches an unmounted route): order is stable.
    // eslint-disable-next-line react-hooks/rules-of-hooks
    link = useRouteRef(editActionRouteRef);
  } catch {
    link = undefined;
  }
  return actionId => link?.({ id: actionId });
}
