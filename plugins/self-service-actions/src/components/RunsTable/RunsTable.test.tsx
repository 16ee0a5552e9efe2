import { act, screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { aRun, fakeApi } from '../testing/fakeApi';
import { fakeSignalApi } from '../testing/fakeSignalApi';
import { LIST_REFRESH_MIN_MS, RunsTable } from './RunsTable';

describe('RunsTable', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads its page again when a signal names a run on it, at most every LIST_REFRESH_MIN_MS', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    const signals = fakeSignalApi();
    const signal = (...runIds: string[]) =>
      act(() => signals.send({ runs: runIds.map(runId => ({ runId, status: 'complete' as const })) }));
    const listRuns = jest.fn().mockResolvedValue({ items: [aRun()] });
    await renderInTestApp(
      <TestApiProvider apis={[[selfServiceActionsApiRef, fakeApi({ listRuns })], [signalApiRef, signals.api]]}>
        <RunsTable entityRef="component:default/payments" onOpenRun={() => {}} />
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    expect(await screen.findByText('In progress')).toBeInTheDocument();
    expect(listRuns).toHaveBeenCalledTimes(1);

    // a run that is not on the page: nothing to read
    await signal('another-run');
    await act(() => jest.advanceTimersByTimeAsync(LIST_REFRESH_MIN_MS * 2));
    expect(listRuns).toHaveBeenCalledTimes(1);

    listRuns.mockResolvedValue({ items: [aRun({ status: 'complete', completedAt: '2026-05-10T15:40:42.714Z' })] });
    await signal('another-run', 'run-1');
    expect(await screen.findByText('Complete')).toBeInTheDocument();
    expect(listRuns).toHaveBeenCalledTimes(2);

    // a burst of signals right after: one more read, when the interval has passed
    await signal('run-1');
    await signal('run-1');
    await act(() => jest.advanceTimersByTimeAsync(LIST_REFRESH_MIN_MS / 2));
    expect(listRuns).toHaveBeenCalledTimes(2);
    await act(() => jest.advanceTimersByTimeAsync(LIST_REFRESH_MIN_MS));
    expect(listRuns).toHaveBeenCalledTimes(3);
  });
});
