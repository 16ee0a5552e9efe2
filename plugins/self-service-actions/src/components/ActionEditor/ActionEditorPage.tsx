import { useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { Content, Header, Page, Progress } from '@backstage/core-components';
import { ResponseError } from '@backstage/errors';
import Alert from '@material-ui/lab/Alert';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { rootRouteRef } from '../../routes';
import { errorMessage } from '../../utils/errorMessage';
import { ActionEditor } from './ActionEditor';
import { fromDefinition, newDefinitionForm } from './definitionForm';
import { ReadOnlyAction } from './ReadOnlyAction';

const statusOf = (error: unknown) => (error instanceof ResponseError ? error.response.status : undefined);

/**
 * `/self-service-actions/actions/new` and `/actions/:id/edit`: the editor for those who manage
 * an API action, a read-only view for those who only see it (and for app-config actions,
 * which are changed in app-config).
 */
export function ActionEditorPage() {
  const { id } = useParams<{ id?: string }>();
  const api = useApi(selfServiceActionsApiRef);
  const rootLink = useRouteRef(rootRouteRef);
  const state = useAsync(async () => {
    const caller = await api.getCaller();
    if (!id) return { kind: 'new' as const, caller };
    try {
      return { kind: 'edit' as const, caller, document: await api.getActionDefinition(id) };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 403 && status !== 409) throw error;
      const reason =
        status === 409
          ? 'This action is defined in app-config: change it there.'
          : 'Only the owners of this action and admins may change it; this is its configuration as you may see it.';
      return { kind: 'view' as const, caller, action: await api.getAction(id), reason };
    }
  }, [api, id]);

  let title = 'New action';
  if (state.value?.kind === 'edit') title = String(state.value.document.definition.name ?? id);
  else if (state.value?.kind === 'view') title = state.value.action.name;
  else if (id) title = id;
  let body;
  if (state.loading) {
    body = <Progress />;
  } else if (state.error) {
    body = <Alert severity="error">{errorMessage(state.error)}</Alert>;
  } else if (state.value?.kind === 'view') {
    body = <ReadOnlyAction action={state.value.action} reason={state.value.reason} />;
  } else if (state.value?.kind === 'edit') {
    const { document, caller } = state.value;
    body = (
      <ActionEditor
        key={`${document.id}@${document.version}`}
        initial={fromDefinition(document.definition)}
        saved={{ id: document.id, version: document.version }}
        allowedUrls={caller.allowedUrls}
      />
    );
  } else if (state.value && !state.value.caller.canCreateActions) {
    body = <Alert severity="info">Creating actions in the portal is not enabled for you.</Alert>;
  } else if (state.value) {
    const { caller } = state.value;
    body = (
      <ActionEditor
        initial={newDefinitionForm(caller.userEntityRef, caller.allowedUrls[0])}
        allowedUrls={caller.allowedUrls}
      />
    );
  }
  return (
    <Page themeId="tool">
      <Header title={title} type="Self-service actions" typeLink={rootLink()} />
      <Content>{body}</Content>
    </Page>
  );
}
