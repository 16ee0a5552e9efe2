import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider, catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { EntityActionsContent } from './EntityActionsContent';
import { aRun, fakeApi, restartAction } from '../testing/fakeApi';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments', namespace: 'default' },
  spec: { type: 'service' },
};

async function render(api = fakeApi()) {
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api], [catalogApiRef, { getEntities: async () => ({ items: [] }) }]]}>
      <EntityProvider entity={entity}>
        <EntityActionsContent />
      </EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
  return api;
}

describe('EntityActionsContent', () => {
  it('lists the actions with type and Draft badge, and disables Run with the reason', async () => {
    const api = await render(
      fakeApi({
        listActions: jest.fn(async () => [
          restartAction,
          { ...restartAction, id: 'draft', name: 'Not ready', status: 'Draft' as const, type: 'Delete' as const },
          { ...restartAction, id: 'sre-only', name: 'Fail over', canRun: false, reason: 'Only SREs may run this action' },
        ]),
      }),
    );
    expect(api.listActions).toHaveBeenCalledWith({ entityRef: 'component:default/payments' });
    const list = await screen.findByRole('list', { name: 'Self-service actions' });
    expect(within(list).getByText('Restart service')).toBeInTheDocument();
    expect(within(list).getByText('Draft')).toBeInTheDocument();
    expect(within(list).getByText('Delete')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run Restart service' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Run Fail over' })).toBeDisabled();
    await userEvent.hover(screen.getByTestId('run-disabled-sre-only'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent('Only SREs may run this action');
  });

  it('shows an empty state when no action applies', async () => {
    await render(fakeApi({ listActions: jest.fn(async () => []) }));
    expect(await screen.findByText('No actions')).toBeInTheDocument();
  });

  it('shows the error when the actions cannot be loaded', async () => {
    await render(fakeApi({ listActions: jest.fn(async () => { throw new Error('backend down'); }) }));
    expect((await screen.findAllByText(/backend down/)).length).toBeGreaterThan(0);
  });

  it('validates the form on the client, then runs the action and opens the run', async () => {
    const api = await render();
    await userEvent.click(await screen.findByRole('button', { name: 'Run Restart service' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByLabelText(/API key/)).toHaveAttribute('type', 'password');
    // the form opens with the focus on its first field
    await waitFor(() => expect(within(dialog).getByLabelText(/Reason/)).toHaveFocus());

    within(dialog).getByLabelText(/API key/).focus();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    expect(await within(dialog).findByText('Reason is required')).toBeInTheDocument();
    // a failed submit takes the focus to the first invalid field
    await waitFor(() => expect(within(dialog).getByLabelText(/Reason/)).toHaveFocus());
    expect(api.createRun).not.toHaveBeenCalled();

    await userEvent.type(within(dialog).getByLabelText(/Reason/), 'stuck');
    await userEvent.type(within(dialog).getByLabelText(/API key/), 'k');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    await waitFor(() =>
      expect(api.createRun).toHaveBeenCalledWith('restart-service', {
        entityRef: 'component:default/payments',
        inputs: { reason: 'stuck', replicas: 2, apiKey: 'k' },
      }),
    );
    expect(await screen.findByTestId('run-view')).toBeInTheDocument();
    expect(api.getRun).toHaveBeenCalledWith('run-1');
  });

  it('shows the server field errors on their fields', async () => {
    const api = await render(
      fakeApi({
        createRun: jest.fn(async () => {
          const body = {
            error: {
              name: 'InputError',
              message: 'Invalid inputs',
              fieldErrors: [{ path: 'inputs.replicas', message: 'must be <= 20' }],
            },
            response: { statusCode: 400 },
          };
          // what the client gets from fetch for a 400 answer
          throw await ResponseError.fromResponse({
            ok: false,
            status: 400,
            statusText: 'Bad Request',
            url: 'http://backstage.test/api/self-service-actions/actions/restart-service/runs',
            headers: { get: () => 'application/json' },
            text: async () => JSON.stringify(body),
          } as any);
        }),
      }),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Run Restart service' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText(/Reason/), 'stuck');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    expect(await within(dialog).findByText('must be <= 20')).toBeInTheDocument();
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Please correct the highlighted fields.');
    expect(api.createRun).toHaveBeenCalledTimes(1);
  });

  it('asks to type the entity name before running a Delete action', async () => {
    const api = await render(
      fakeApi({
        listActions: jest.fn(async () => [
          { ...restartAction, id: 'decommission', name: 'Decommission', type: 'Delete' as const, userInputs: { type: 'object', properties: {} } },
        ]),
      }),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Run Decommission' }));
    const dialog = await screen.findByRole('dialog', { name: 'Decommission on payments' });
    // The red button names what it destroys.
    const run = within(dialog).getByRole('button', { name: 'Decommission payments' });
    expect(run).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText('Type payments to confirm'), 'payment');
    expect(run).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText('Type payments to confirm'), 's');
    expect(run).toBeEnabled();
    await userEvent.click(run);
    await waitFor(() => expect(api.createRun).toHaveBeenCalled());
  });

  it('lists the entity runs and opens one', async () => {
    const api = await render(
      fakeApi({
        listRuns: jest.fn(async () => ({ items: [aRun({ status: 'complete', completedAt: '2026-05-10T15:36:42.714Z' })] })),
        getRun: jest.fn(async () => aRun({ status: 'complete', canCancel: false })),
      }),
    );
    expect(api.listRuns).toHaveBeenCalledWith(expect.objectContaining({ entityRef: 'component:default/payments', limit: 10 }));
    const row = await screen.findByTestId('run-row');
    expect(within(row).getByText('Complete')).toBeInTheDocument();
    expect(within(row).getByText('1m 0s')).toBeInTheDocument();
    await userEvent.click(within(row).getByRole('button', { name: 'Open run of Restart service' }));
    expect(await screen.findByTestId('run-view')).toBeInTheDocument();
  });
});
