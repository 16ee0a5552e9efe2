import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import { aRun, fakeApi, restartAction } from '../testing/fakeApi';
import { fakeSignalApi } from '../testing/fakeSignalApi';
import { RunView } from './RunView';
import { LIVE_REFRESH_MS, SIGNALS_SAFETY_REFRESH_MS } from '../../hooks/useLiveRun';

const started = '2026-05-10T15:35:42.714Z';

async function render(api: ReturnType<typeof fakeApi>) {
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api]]}>
      <RunView runId="run-1" />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('RunView', () => {
  afterEach(() => jest.useRealTimers());

  it('shows status, inputs, steps with logs, links and the failure reason', async () => {
    await render(
      fakeApi({
        getRun: jest.fn(async () =>
          aRun({
            status: 'failed',
            error: 'Webhook answered 500: boom',
            canCancel: false,
            links: [{ title: 'CI job', url: 'https://ci.example.com/1' }],
            steps: [{ title: 'Build', status: 'failed', startedAt: started, completedAt: started, logs: ['compiling', 'error: nope'], logCount: 2 }],
          }),
        ),
      }),
    );
    expect(await screen.findByTestId('run-error')).toHaveTextContent('Webhook answered 500: boom');
    expect(screen.getAllByText('Failed').length).toBeGreaterThan(0);
    expect(screen.getByText('stuck')).toBeInTheDocument();
    expect(screen.getByText('CI job').closest('a')).toHaveAttribute('href', 'https://ci.example.com/1');
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
    // the log lines themselves render in a virtualised LogViewer (checked in the browser test)
    const step = screen.getByRole('button', { name: /Build/ });
    expect(step).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(step);
    expect(step).toHaveAttribute('aria-expanded', 'true');
  });

  it('says when an AI agent started the run through the actions registry', async () => {
    await render(fakeApi({ getRun: jest.fn(async () => aRun({ initiatedVia: 'actions-registry' })) }));
    expect(await screen.findByText(/through an AI agent \(actions registry\)/)).toBeInTheDocument();
  });

  it('says nothing of agents for runs started in the portal', async () => {
    await render(fakeApi({ getRun: jest.fn(async () => aRun()) }));
    expect(await screen.findByText('Initiated by')).toBeInTheDocument();
    expect(screen.queryByText(/AI agent/)).not.toBeInTheDocument();
  });

  it('refreshes until the run is final, then stops', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    const states = [
      aRun(),
      aRun({ steps: [{ title: 'Build', status: 'inprogress', startedAt: started, logs: [], logCount: 0 }] }),
      aRun({ status: 'complete', canCancel: false, steps: [{ title: 'Build', status: 'complete', startedAt: started, logs: [], logCount: 0 }] }),
    ];
    const getRun: jest.Mock<Promise<Run>, []> = jest.fn(async () =>
      states[Math.min(getRun.mock.calls.length - 1, states.length - 1)],
    );
    await render(fakeApi({ getRun }));
    expect(await screen.findByText('No steps reported yet.')).toBeInTheDocument();
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS));
    expect(await screen.findByText('Build')).toBeInTheDocument();
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS));
    expect(await screen.findAllByText('Complete')).toHaveLength(2);
    const calls = getRun.mock.calls.length;
    expect(calls).toBe(3);
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS * 5));
    expect(getRun).toHaveBeenCalledTimes(calls);
  });

  it('polls until signals arrive, then refreshes on a signal for the run', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    const signals = fakeSignalApi();
    const getRun = jest.fn().mockResolvedValue(aRun());
    await renderInTestApp(
      <TestApiProvider apis={[[selfServiceActionsApiRef, fakeApi({ getRun })], [signalApiRef, signals.api]]}>
        <RunView runId="run-1" />
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    expect(await screen.findByText('In progress')).toBeInTheDocument();
    // Until a signal shows that they arrive, the page polls.
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS));
    expect(getRun).toHaveBeenCalledTimes(2);
    act(() => signals.send({ runs: [{ runId: 'another-run', status: 'complete' }] }));
    expect(getRun).toHaveBeenCalledTimes(2);
    // Then, after the refresh already planned, it waits for signals, with a slow safety refresh.
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS));
    expect(getRun).toHaveBeenCalledTimes(3);
    await act(() => jest.advanceTimersByTimeAsync(SIGNALS_SAFETY_REFRESH_MS - 1000));
    expect(getRun).toHaveBeenCalledTimes(3);
    await act(() => jest.advanceTimersByTimeAsync(1000));
    expect(getRun).toHaveBeenCalledTimes(4);
    getRun.mockResolvedValue(aRun({ status: 'complete', canCancel: false }));
    // Two signals at once (the user is in two audiences): the one naming this run still counts.
    act(() => {
      signals.send({ runs: [{ runId: 'another-run', status: 'complete' }, { runId: 'run-1', status: 'complete' }] });
      signals.send({ runs: [{ runId: 'a-third-run', status: 'inprogress' }] });
    });
    expect(await screen.findByText('Complete')).toBeInTheDocument();
    expect(getRun).toHaveBeenCalledTimes(5);
  });

  it('cancels a run only once the user confirms, and says what a cancel does', async () => {
    const api = fakeApi();
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel run' }));
    const confirm = await screen.findByRole('dialog', { name: 'Cancel this run of Restart service?' });
    expect(confirm).toHaveTextContent('The external system is told nothing');
    expect(api.cancelRun).not.toHaveBeenCalled();
    await userEvent.click(within(confirm).getByRole('button', { name: 'Keep running' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(api.cancelRun).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Cancel run' }));
    const again = await screen.findByRole('dialog', { name: 'Cancel this run of Restart service?' });
    await userEvent.click(within(again).getByRole('button', { name: 'Cancel run' }));
    expect(api.cancelRun).toHaveBeenCalledWith('run-1');
    expect(await screen.findByText('Terminated')).toBeInTheDocument();
  });

  it('names the user who cancelled by display name and shows open steps as not finished', async () => {
    await render(
      fakeApi({
        getRun: jest.fn(async () =>
          aRun({
            status: 'terminated',
            canCancel: false,
            message: 'Cancelled by user:default/jane',
            completedAt: started,
            steps: [{ title: 'Deploy', status: 'inprogress', startedAt: started, logs: [], logCount: 0 }],
          }),
        ),
      }),
    );
    const message = await screen.findByTestId('run-message');
    expect(message).toHaveTextContent('Cancelled by jane');
    expect(within(message).getByRole('link', { name: 'jane' })).toBeInTheDocument();
    expect(within(message).getByText(/^Last update,/)).toBeInTheDocument();
    expect(within(screen.getByTestId('run-step')).getByText('Not finished')).toBeInTheDocument();
  });

  it('offers Re-run only once the run is final', async () => {
    await render(fakeApi({ getRun: jest.fn(async () => aRun({ status: 'inprogress' })) }));
    expect(await screen.findByRole('button', { name: 'Cancel run' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Re-run' })).not.toBeInTheDocument();
  });

  it('shows inputs by their form titles, secret ones as ***', async () => {
    await render(
      fakeApi({ getRun: jest.fn(async () => aRun({ inputs: { reason: 'stuck', apiKey: 'leaked?', extra: 1 } })) }),
    );
    const inputs = await screen.findByRole('table', { name: 'Inputs' });
    await waitFor(() => expect(within(inputs).getByText('Reason')).toBeInTheDocument());
    expect(within(inputs).getByText('API key').closest('tr')).toHaveTextContent('***');
    expect(inputs).not.toHaveTextContent('leaked?');
    expect(within(inputs).getByText('extra')).toBeInTheDocument();
  });

  it('explains a failed webhook in plain words and keeps the reason', async () => {
    await render(
      fakeApi({
        getRun: jest.fn(async () =>
          aRun({ status: 'failed', canCancel: false, error: 'Webhook answered 500: {"error":"db down"}' }),
        ),
      }),
    );
    const error = await screen.findByTestId('run-error');
    expect(error).toHaveTextContent('The automation refused the run (HTTP 500); no steps ran.');
    expect(error).toHaveTextContent('Reason: Webhook answered 500: {"error":"db down"}');
    expect(screen.getByText('No steps were reported.')).toBeInTheDocument();
  });

  it('re-runs a Delete run on its entity, asking for the entity name', async () => {
    const decommission = { ...restartAction, id: 'decommission', name: 'Decommission service', type: 'Delete' as const, userInputs: { type: 'object', properties: {} } };
    const api = fakeApi({
      getAction: jest.fn(async () => decommission),
      getRun: jest.fn(async () =>
        aRun({ actionId: 'decommission', actionName: 'Decommission service', actionType: 'Delete', status: 'complete', canCancel: false, inputs: {} }),
      ),
    });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Re-run' }));
    const dialog = await screen.findByRole('dialog', { name: 'Re-run Decommission service on payments' });
    const run = within(dialog).getByRole('button', { name: 'Decommission payments' });
    expect(run).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText('Type payments to confirm'), 'payments');
    expect(run).toBeEnabled();
    await userEvent.click(run);
    await waitFor(() => expect(api.rerun).toHaveBeenCalledWith('run-1', {}));
  });

  it('re-runs with the form prefilled and asks for secrets again', async () => {
    const api = fakeApi({ getRun: jest.fn(async () => aRun({ status: 'complete', canCancel: false })) });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Re-run' }));
    const reason = await screen.findByLabelText(/Reason/);
    expect(reason).toHaveValue('stuck');
    expect(screen.getByText(/Secret inputs are never stored: enter apiKey again/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(api.rerun).toHaveBeenCalledWith('run-1', { reason: 'stuck', replicas: 2 });
  });
});
