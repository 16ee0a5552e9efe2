import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { Run, RunStep } from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { rootRouteRef } from '../../routes';
import { LIVE_REFRESH_MS } from '../../hooks/useLiveRun';
import { aRun, fakeApi } from '../testing/fakeApi';
import { RunPage } from './RunPage';

const started = '2026-05-10T15:35:42.714Z';
const later = '2026-05-10T15:36:47.714Z';

function step(title: string, status: RunStep['status'], logs: string[] = []): RunStep {
  return { title, status, startedAt: started, completedAt: status === 'inprogress' ? null : later, logs, logCount: logs.length };
}

async function render(api: ReturnType<typeof fakeApi>) {
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api]]}>
      <Routes>
        <Route path="/self-service-actions/runs/:id" element={<RunPage />} />
      </Routes>
    </TestApiProvider>,
    {
      routeEntries: ['/self-service-actions/runs/run-1'],
      mountedRoutes: {
        '/self-service-actions': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

const selectedStep = () => screen.getAllByTestId('run-step').find(item => item.getAttribute('aria-current') === 'step');

describe('RunPage', () => {
  afterEach(() => jest.useRealTimers());

  it('shows the action, entity, status, initiator, times, duration and run id on top', async () => {
    await render(
      fakeApi({
        getRun: jest.fn(async () => aRun({ status: 'complete', canCancel: false, completedAt: later, steps: [step('Build', 'complete')] })),
      }),
    );
    expect(await screen.findByRole('heading', { name: 'Restart service on payments' })).toBeInTheDocument();
    const summary = screen.getByTestId('run-summary');
    expect(within(summary).getByText('Complete')).toBeInTheDocument();
    expect(within(summary).getByRole('link', { name: 'payments' })).toBeInTheDocument();
    expect(within(summary).getByRole('link', { name: 'jane' })).toBeInTheDocument();
    expect(within(summary).getByText('1m 5s')).toBeInTheDocument();
    expect(within(summary).getByText('run-1')).toBeInTheDocument();
    expect(within(summary).getByText(new Date(later).toLocaleString())).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy link' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Re-run' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
    // Only the status is announced.
    expect(screen.getByRole('status')).toHaveTextContent('Restart service: Complete');
  });

  it('follows the running step until the user picks one', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    const states: Run[] = [
      aRun({ steps: [step('Build', 'inprogress', ['compiling'])] }),
      aRun({ steps: [step('Build', 'complete', ['compiling']), step('Deploy', 'inprogress', ['rolling'])] }),
      aRun({ steps: [step('Build', 'complete'), step('Deploy', 'complete'), step('Verify', 'inprogress')] }),
    ];
    const getRun: jest.Mock<Promise<Run>, []> = jest.fn(async () => states[Math.min(getRun.mock.calls.length - 1, 2)]);
    await render(fakeApi({ getRun }));
    expect(await screen.findByRole('heading', { name: 'Log of Build' })).toBeInTheDocument();
    expect(selectedStep()).toHaveTextContent('Build');
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS));
    expect(await screen.findByRole('heading', { name: 'Log of Deploy' })).toBeInTheDocument();
    // The user picks a step: it stays selected while the run goes on.
    await userEvent.click(screen.getByText('Build'));
    expect(await screen.findByRole('heading', { name: 'Log of Build' })).toBeInTheDocument();
    await act(() => jest.advanceTimersByTimeAsync(LIVE_REFRESH_MS));
    expect(await screen.findByText('Verify')).toBeInTheDocument();
    expect(selectedStep()).toHaveTextContent('Build');
  });

  it('opens the failed step by itself and explains the failure', async () => {
    await render(
      fakeApi({
        getRun: jest.fn(async () =>
          aRun({
            status: 'failed',
            canCancel: false,
            error: 'Webhook answered 502: bad gateway',
            steps: [step('Build', 'complete'), step('Deploy', 'failed', ['boom']), step('Verify', 'inprogress')],
          }),
        ),
      }),
    );
    expect(await screen.findByRole('heading', { name: 'Log of Deploy' })).toBeInTheDocument();
    expect(screen.getByTestId('run-error')).toHaveTextContent('The automation refused the run (HTTP 502).');
    // The step the failed run left open never finished.
    const verify = screen.getAllByTestId('run-step')[2];
    expect(verify).toHaveTextContent('Not finished');
  });

  it('explains a webhook that refused the run before any step', async () => {
    await render(
      fakeApi({ getRun: jest.fn(async () => aRun({ status: 'failed', canCancel: false, error: 'Webhook answered 500: boom' })) }),
    );
    expect(await screen.findByTestId('run-error')).toHaveTextContent(
      'The automation refused the run (HTTP 500); no steps ran.Reason: Webhook answered 500: boom',
    );
    expect(screen.getByText('No steps were reported.')).toBeInTheDocument();
    expect(screen.getByText('No steps ran, so there is no log.')).toBeInTheDocument();
  });

  it('downloads the selected step log as a text file', async () => {
    const blobs: Blob[] = [];
    const names: string[] = [];
    Object.assign(URL, {
      createObjectURL: jest.fn((blob: Blob) => {
        blobs.push(blob);
        return 'blob:log';
      }),
      revokeObjectURL: jest.fn(),
    });
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function record(this: HTMLAnchorElement) {
      names.push(this.download);
    });
    await render(fakeApi({ getRun: jest.fn(async () => aRun({ steps: [step('Set up job', 'inprogress', ['one', 'two'])] })) }));
    await userEvent.click(await screen.findByRole('button', { name: 'Download log' }));
    expect(names).toEqual(['run-1-set-up-job.txt']);
    expect(await new Response(blobs[0]).text()).toBe('one\ntwo\n');
    click.mockRestore();
  });

  it('shows inputs by their form titles and secret ones as ***', async () => {
    await render(fakeApi({ getRun: jest.fn(async () => aRun({ inputs: { replicas: 3, apiKey: 'x', reason: 'stuck' } })) }));
    const inputs = await screen.findByRole('table', { name: 'Inputs' });
    await waitFor(() => expect(within(inputs).getByText('Replicas')).toBeInTheDocument());
    const rows = within(inputs).getAllByRole('row').map(row => row.textContent);
    expect(rows).toEqual(['Reasonstuck', 'Replicas3', 'API key***']);
  });

  it('cancels only after confirmation and hides Re-run while the run is open', async () => {
    const api = fakeApi();
    await render(api);
    expect(await screen.findByRole('button', { name: 'Cancel run' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Re-run' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel run' }));
    const dialog = await screen.findByRole('dialog');
    expect(api.cancelRun).not.toHaveBeenCalled();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel run' }));
    await waitFor(() => expect(api.cancelRun).toHaveBeenCalledWith('run-1'));
    expect(await screen.findByRole('status')).toHaveTextContent('Restart service: Terminated');
  });

  it('lists the messages the run reported, oldest first, each with its time', async () => {
    const messages = [
      { text: 'Job queued', at: started },
      { text: 'Deploying 3 of 5 pods', at: later },
    ];
    await render(fakeApi({ getRun: jest.fn(async () => aRun({ message: 'Deploying 3 of 5 pods', messages })) }));
    const table = await screen.findByRole('table', { name: 'Messages' });
    const rows = within(table).getAllByRole('row');
    expect(rows.map(row => row.textContent)).toEqual([
      `${new Date(started).toLocaleTimeString()}Job queued`,
      `${new Date(later).toLocaleTimeString()}Deploying 3 of 5 pods`,
    ]);
    expect(within(rows[0]).getByTitle(new Date(started).toLocaleString())).toBeInTheDocument();
  });

  it('says when no message was reported', async () => {
    await render(fakeApi({ getRun: jest.fn(async () => aRun()) }));
    expect(await screen.findByText('No messages reported.')).toBeInTheDocument();
  });
});

