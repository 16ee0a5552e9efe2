import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import { ActionListItem } from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsApiRef, SelfServiceActionsApi } from '../../api/SelfServiceActionsApi';
import { RunDialog } from './RunDialog';
import { fakeApi, restartAction } from '../testing/fakeApi';

const globalAction: ActionListItem = {
  ...restartAction,
  appliesTo: undefined,
  userInputs: { type: 'object', properties: { reason: { type: 'string', title: 'Reason' } } },
};

async function render(action: ActionListItem, overrides: Partial<SelfServiceActionsApi> = {}) {
  const api = fakeApi(overrides);
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api], [catalogApiRef, { getEntities: async () => ({ items: [] }) }]]}>
      <RunDialog action={action} open onClose={() => {}} onCreated={() => {}} />
    </TestApiProvider>,
  );
  return { api, dialog: await screen.findByRole('dialog') };
}

describe('Preview request in the run dialog', () => {
  it('is offered to those who see where the action sends, and shows what the backend previewed', async () => {
    const { api, dialog } = await render({ ...globalAction, method: { type: 'Webhook', url: 'https://hooks.example.com/restart' } });
    await userEvent.type(within(dialog).getByLabelText(/Reason/), 'stuck');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Preview request' }));
    await waitFor(() => expect(api.previewRun).toHaveBeenCalledWith(globalAction.id, { inputs: { reason: 'stuck' } }));
    const region = await within(dialog).findByRole('region', { name: 'Request preview' });
    expect(region).toHaveTextContent('POST https://hooks.example.com/restart');
    expect(region).toHaveTextContent('Authorization: ***');
    expect(region).toHaveTextContent('webhook-signature: v1,***');
    expect(within(region).getByLabelText('Request body')).toHaveTextContent('"reason": "stuck"');
    expect(api.createRun).not.toHaveBeenCalled();
    // Changing an input takes the preview away (it showed other inputs).
    await userEvent.type(within(dialog).getByLabelText(/Reason/), '!');
    expect(within(dialog).queryByRole('region', { name: 'Request preview' })).toBeNull();
  });

  it('is not offered to those who may only run the action', async () => {
    const { dialog } = await render({ ...globalAction, method: { type: 'Webhook' } });
    expect(within(dialog).queryByRole('button', { name: 'Preview request' })).toBeNull();
    expect(within(dialog).getByRole('button', { name: 'Run' })).toBeInTheDocument();
  });

  it("puts the backend's field errors on the fields, as a run does", async () => {
    const body = JSON.stringify({
      error: { name: 'InputError', message: 'Invalid inputs', fieldErrors: [{ path: 'inputs.reason', message: 'is too short' }] },
      response: { statusCode: 400 },
    });
    const refusal = await ResponseError.fromResponse(
      new Response(body, { status: 400, statusText: 'Bad Request', headers: { 'content-type': 'application/json' } }) as any,
    );
    const { dialog } = await render(
      { ...globalAction, method: { type: 'Webhook', url: 'https://hooks.example.com/restart' } },
      { previewRun: jest.fn(async () => Promise.reject(refusal)) },
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Preview request' }));
    expect(await within(dialog).findByText('is too short')).toBeInTheDocument();
    expect(within(dialog).queryByRole('region', { name: 'Request preview' })).toBeNull();
  });
});
