import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { ActionListItem } from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { RunDialog } from './RunDialog';
import { aRun, fakeApi, restartAction } from '../testing/fakeApi';

/** An action whose secrets stand in a nested object and in the items of a list. */
const nestedAction: ActionListItem = {
  ...restartAction,
  id: 'connect',
  name: 'Connect database',
  appliesTo: undefined,
  userInputs: {
    type: 'object',
    properties: {
      db: {
        type: 'object',
        title: 'Database',
        properties: { host: { type: 'string', title: 'Host' }, password: { type: 'string', title: 'Password', secret: true } },
      },
      servers: {
        type: 'array',
        title: 'Servers',
        items: {
          type: 'object',
          properties: { name: { type: 'string', title: 'Server name' }, token: { type: 'string', title: 'Server token', secret: true } },
        },
      },
    },
  },
};

async function render(props: { rerunOf?: ReturnType<typeof aRun> } = {}) {
  const api = fakeApi();
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api], [catalogApiRef, { getEntities: async () => ({ items: [] }) }]]}>
      <RunDialog action={nestedAction} open onClose={() => {}} onCreated={() => {}} rerunOf={props.rerunOf} />
    </TestApiProvider>,
  );
  return api;
}

describe('RunDialog with nested secrets', () => {
  it('renders a secret in a nested object as a password field and sends what is typed', async () => {
    const api = await render();
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByLabelText(/Host/)).toHaveAttribute('type', 'text');
    expect(within(dialog).getByLabelText(/Password/)).toHaveAttribute('type', 'password');
    await userEvent.type(within(dialog).getByLabelText(/Host/), 'db1');
    await userEvent.type(within(dialog).getByLabelText(/Password/), 'pw');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    await waitFor(() =>
      expect(api.createRun).toHaveBeenCalledWith('connect', { inputs: { db: { host: 'db1', password: 'pw' }, servers: [] } }),
    );
  });

  it('asks again on re-run for every nested secret, as password fields left empty', async () => {
    // Even a secret the API should never have returned is not offered again.
    const rerunOf = aRun({
      actionId: 'connect',
      inputs: { db: { host: 'db1', password: 'leaked' }, servers: [{ name: 'a' }] },
    });
    const api = await render({ rerunOf });
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/enter db\.password, servers\[\]\.token again/)).toBeInTheDocument();
    const password = within(dialog).getByLabelText(/Password/);
    expect(password).toHaveAttribute('type', 'password');
    expect(password).toHaveValue('');
    expect(within(dialog).getByLabelText(/Host/)).toHaveValue('db1');
    const token = within(dialog).getByLabelText(/Server token/);
    expect(token).toHaveAttribute('type', 'password');
    expect(within(dialog).getByLabelText(/Server name/)).toHaveValue('a');
    await userEvent.type(password, 'new-pw');
    await userEvent.type(token, 'new-token');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    await waitFor(() =>
      expect(api.rerun).toHaveBeenCalledWith('run-1', {
        db: { host: 'db1', password: 'new-pw' },
        servers: [{ name: 'a', token: 'new-token' }],
      }),
    );
  });
});
