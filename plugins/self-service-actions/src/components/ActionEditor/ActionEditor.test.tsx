import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { EditorView } from '@uiw/react-codemirror';
import { Route, Routes } from 'react-router-dom';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { editActionRouteRef, rootRouteRef, runRouteRef } from '../../routes';
import { fakeApi, managedAction } from '../testing/fakeApi';
import { ActionEditorPage } from './ActionEditorPage';

/** Replaces the text of the CodeMirror editor labelled `label`, as typing would. */
function setEditorText(label: string, text: string) {
  const content = screen.getByRole('textbox', { name: label });
  const view = EditorView.findFromDOM(content)!;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

async function renderEditor(api: ReturnType<typeof fakeApi>, path: string) {
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api]]}>
      <Routes>
        <Route path="/self-service-actions/actions/new" element={<ActionEditorPage />} />
        <Route path="/self-service-actions/actions/:id/edit" element={<ActionEditorPage />} />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: [path],
      mountedRoutes: { '/self-service-actions': rootRouteRef },
    },
  );
}

async function refusal(status: number, error: object) {
  return ResponseError.fromResponse(
    new Response(JSON.stringify({ error, response: { statusCode: status } }), {
      status,
      statusText: 'Refused',
      headers: { 'content-type': 'application/json' },
    }) as any,
  );
}

// The editor is a big form (CodeMirror, RJSF) to type into in jsdom.
jest.setTimeout(30_000);

describe('ActionEditorPage', () => {
  it('creates a Draft from the fields, owned by the user, sending to an allowed URL', async () => {
    const api = fakeApi();
    await renderEditor(api, '/self-service-actions/actions/new');
    expect(await screen.findByRole('heading', { name: 'New action' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Self-service actions' })).toHaveAttribute('href', '/self-service-actions');
    await userEvent.type(screen.getByLabelText(/^Name/), 'Flush cache');
    fireEvent.change(screen.getByLabelText(/^URL/), { target: { value: 'https://hooks.example.com/flush' } });
    setEditorText('Headers (JSON)', '{ "Authorization": "Bearer {{ secrets.FLUSH_TOKEN }}" }');
    await userEvent.click(screen.getByRole('button', { name: 'Save as Draft' }));
    await waitFor(() => expect(api.createAction).toHaveBeenCalled());
    expect(api.createAction.mock.calls[0][0]).toEqual({
      name: 'Flush cache',
      type: 'Day2',
      icon: 'build',
      status: 'Draft',
      owner: 'user:default/ada',
      appliesTo: ['Service'],
      userInputs: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', title: 'Reason' } } },
      method: {
        type: 'Webhook',
        url: 'https://hooks.example.com/flush',
        headers: { Authorization: 'Bearer {{ secrets.FLUSH_TOKEN }}' },
      },
    });
    expect(screen.getByText('Must start with https://hooks.example.com/')).toBeInTheDocument();
  });

  it('puts the server’s field errors on their fields and the others above the form', async () => {
    const api = fakeApi({
      createAction: jest.fn(async () => {
        throw await refusal(400, {
          name: 'InputError',
          message: 'Invalid action',
          fieldErrors: [
            { path: 'method.url', message: 'must start with one of selfServiceActions.managedActions.allowedUrls' },
            { path: 'agents.allowed', message: 'must be true or false' },
          ],
        });
      }),
    });
    await renderEditor(api, '/self-service-actions/actions/new');
    await userEvent.type(await screen.findByLabelText(/^Name/), 'Flush cache');
    await userEvent.click(screen.getByRole('button', { name: 'Save as Draft' }));
    expect(await screen.findByText('method.url must start with one of selfServiceActions.managedActions.allowedUrls')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Invalid action — agents.allowed must be true or false');
  });

  it('keeps JSON that does not parse from being sent, and draws the form live from the schema', async () => {
    const api = fakeApi();
    await renderEditor(api, '/self-service-actions/actions/new');
    await userEvent.type(await screen.findByLabelText(/^Name/), 'Flush cache');
    setEditorText(
      'Input schema (JSON Schema)',
      '{ "type": "object", "properties": { "replicas": { "type": "integer", "title": "Replicas" } } }',
    );
    expect(await screen.findByLabelText('Replicas')).toBeInTheDocument();
    expect(screen.queryByLabelText(/^Reason/)).not.toBeInTheDocument();
    setEditorText('Input schema (JSON Schema)', '{ "type": "object", ');
    expect(await screen.findByText("Fix the input schema's JSON to see the form.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Save as Draft' }));
    expect(await screen.findByText(/^userInputs is not valid JSON/)).toBeInTheDocument();
    expect(api.createAction).not.toHaveBeenCalled();
  });

  it('edits a saved Draft: previews its request and test-fires it with the form’s inputs, then activates it', async () => {
    const api = fakeApi();
    await renderEditor(api, '/self-service-actions/actions/rotate-keys/edit');
    expect(await screen.findByDisplayValue('Rotate keys')).toBeInTheDocument();
    // id and method are fixed once saved
    expect(screen.getByLabelText(/^Id/)).toHaveAttribute('readonly');
    expect(screen.getByLabelText(/^Method/)).toHaveAttribute('readonly');
    await userEvent.type(screen.getByLabelText(/^Reason/), 'yearly rotation');
    await userEvent.click(screen.getByRole('button', { name: 'Preview request' }));
    await waitFor(() =>
      expect(api.previewRun).toHaveBeenCalledWith('rotate-keys', {
        entityRef: 'component:default/payments',
        inputs: { reason: 'yearly rotation' },
      }),
    );
    expect(await screen.findByRole('region', { name: 'Request preview' })).toHaveTextContent('Authorization: ***');
    await userEvent.click(screen.getByRole('button', { name: 'Test run' }));
    await waitFor(() => expect(api.testRun).toHaveBeenCalledWith('rotate-keys', expect.objectContaining({ inputs: { reason: 'yearly rotation' } })));
    expect(await screen.findByRole('link', { name: 'open the test run' })).toHaveAttribute(
      'href',
      '/self-service-actions/runs/test-run-1',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Activate' }));
    await waitFor(() => expect(api.updateAction).toHaveBeenCalled());
    const [id, version, definition] = api.updateAction.mock.calls[0];
    expect([id, version]).toEqual(['rotate-keys', 3]);
    // fields the editor has no control for are kept as they were
    expect(definition).toMatchObject({
      status: 'Active',
      approval: { approvers: ['group:default/platform'] },
      method: { queryParameters: { env: 'prod' }, headers: { Authorization: 'Bearer {{ secrets.ROTATE_TOKEN }}' } },
    });
    expect(await screen.findByText('Saved as version 4 (Active).')).toBeInTheDocument();
  });

  it('asks to save before previewing changes', async () => {
    await renderEditor(fakeApi(), '/self-service-actions/actions/rotate-keys/edit');
    fireEvent.change(await screen.findByLabelText(/^Description/), { target: { value: 'Rotates' } });
    expect(screen.getByRole('button', { name: 'Preview request' })).toBeDisabled();
    expect(screen.getByText('Save to preview or test your changes.')).toBeInTheDocument();
  });

  it('shows those who may not change it a read-only view without URL, headers or payload', async () => {
    const api = fakeApi({
      getActionDefinition: jest.fn(async () => {
        throw await refusal(403, { name: 'NotAllowedError', message: 'Only the owners of the action and admins may change it' });
      }),
      getAction: jest.fn(async () => managedAction({ status: 'Active', method: { type: 'Webhook' } })),
    });
    await renderEditor(api, '/self-service-actions/actions/rotate-keys/edit');
    expect(await screen.findByText(/Only the owners of this action and admins may change it/)).toBeInTheDocument();
    const details = screen.getByText('Defined in').closest('dl')!;
    expect(within(details).getByText('the portal (version 1)')).toBeInTheDocument();
    expect(screen.queryByText(/hooks\.example\.com/)).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Save/ })).not.toBeInTheDocument();
    expect(screen.getByLabelText(/^Reason/)).toBeInTheDocument();
  });
});

// The route refs the page links with (runs), bound as the app binds them.
void editActionRouteRef;
void runRouteRef;
