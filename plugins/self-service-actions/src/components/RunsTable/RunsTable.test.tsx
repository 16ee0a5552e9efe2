import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { rootRouteRef } from '../../routes';
import { aRun, fakeApi } from '../testing/fakeApi';
import { fakeSignalApi } from '../testing/fakeSignalApi';
import { LIST_REFRESH_MIN_MS, RunsTable } from './RunsTable';

const withPage = {
  '/catalog/:namespace/:kind/:name': entityRouteRef,
  '/self-service-actions': rootRouteRef,
};

async function renderTable(listRuns: jest.Mock, options: { signals?: ReturnType<typeof fakeSignalApi>; onOpenRun?: jest.Mock; pageMounted?: boolean } = {}) {
  const apis: any[] = [[selfServiceActionsApiRef, fakeApi({ listRuns })]];
  if (options.signals) apis.push([signalApiRef, options.signals.api]);
  await renderInTestApp(
    <TestApiProvider apis={apis as any}>
      <RunsTable entityRef="component:default/payments" onOpenRun={options.onOpenRun ?? jest.fn()} pageSize={1} />
    </TestApiProvider>,
    { mountedRoutes: options.pageMounted === false ? { '/catalog/:namespace/:kind/:name': entityRouteRef } : withPage },
  );
}

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
    await renderTable(listRuns, { signals });
    expect(await screen.findByText('In progress')).toBeInTheDocument();
    expect(listRuns).toHaveBeenCalledTimes(1);

    listRuns.mockResolvedValue({ items: [aRun({ status: 'complete', completedAt: '2026-05-10T15:40:42.714Z' })] });
    await signal('run-1');
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

  it('shows a run started elsewhere on the newest page without a reload, and says so on older pages', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    const signals = fakeSignalApi();
    const listRuns = jest.fn().mockResolvedValue({ items: [aRun()], nextCursor: 'c1' });
    await renderTable(listRuns, { signals });
    await screen.findByText('In progress');

    listRuns.mockResolvedValue({ items: [aRun({ id: 'run-new', actionName: 'Scale service' })], nextCursor: 'c1' });
    await act(() => signals.send({ runs: [{ runId: 'run-new', status: 'inprogress' }] }));
    await act(() => jest.advanceTimersByTimeAsync(LIST_REFRESH_MIN_MS));
    expect(await screen.findByText('Scale service')).toBeInTheDocument();

    // on an older page the rows stay put; a banner offers the newest
    listRuns.mockResolvedValue({ items: [aRun({ id: 'run-old', actionName: 'Old action' })] });
    await userEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(await screen.findByText('Old action')).toBeInTheDocument();
    const calls = listRuns.mock.calls.length;
    await act(() => signals.send({ runs: [{ runId: 'run-newer', status: 'inprogress' }] }));
    await act(() => jest.advanceTimersByTimeAsync(LIST_REFRESH_MIN_MS * 2));
    expect(listRuns).toHaveBeenCalledTimes(calls);
    expect(screen.getByText('New runs have started since this page was loaded.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Show newest' })).toBeInTheDocument();
  });

  it('links each run to its page and opens it in place on a plain click', async () => {
    const onOpenRun = jest.fn();
    await renderTable(jest.fn().mockResolvedValue({ items: [aRun()] }), { onOpenRun });
    const link = await screen.findByRole('link', { name: 'Open run of Restart service' });
    expect(link).toHaveAttribute('href', '/self-service-actions/runs/run-1');
    await userEvent.click(link);
    expect(onOpenRun).toHaveBeenCalledWith('run-1');
  });

  it('opens the run in place when the app has no Self-service page to link to', async () => {
    const onOpenRun = jest.fn();
    await renderTable(jest.fn().mockResolvedValue({ items: [aRun()] }), { onOpenRun, pageMounted: false });
    await userEvent.click(await screen.findByRole('button', { name: 'Open run of Restart service' }));
    expect(onOpenRun).toHaveBeenCalledWith('run-1');
  });

  it('says when a run started, with the exact time on hover, and how many runs are shown', async () => {
    const createdAt = new Date(Date.now() - 5 * 60_000).toISOString();
    await renderTable(jest.fn().mockResolvedValue({ items: [aRun({ createdAt })], nextCursor: 'c1' }));
    const started = await screen.findByText('5 minutes ago');
    expect(started).toHaveAttribute('title', new Date(createdAt).toLocaleString());
    expect(screen.getByTestId('runs-count')).toHaveTextContent('Runs 1–1, more older, newest first');
  });

  it('names statuses in words in the filter, and offers to clear filters that match nothing', async () => {
    const listRuns = jest.fn().mockResolvedValue({ items: [aRun()] });
    await renderTable(listRuns);
    await screen.findByText('In progress');
    await userEvent.click(screen.getByLabelText('Status'));
    const options = within(screen.getByRole('listbox')).getAllByRole('option').map(o => o.textContent);
    expect(options).toEqual(['Any status', 'In progress', 'Pending approval', 'Complete', 'Failed', 'Terminated', 'Rejected']);
    listRuns.mockResolvedValue({ items: [] });
    await userEvent.click(screen.getByRole('option', { name: 'Rejected' }));
    expect(await screen.findByText('No runs match these filters')).toBeInTheDocument();
    expect(listRuns).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'rejected' }));
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(listRuns).toHaveBeenLastCalledWith(expect.objectContaining({ status: undefined }));
  });

  it('says there are no runs yet when nothing is filtered', async () => {
    await renderTable(jest.fn().mockResolvedValue({ items: [] }));
    expect(await screen.findByText('No runs yet')).toBeInTheDocument();
  });

  it('sorts by start time, oldest first on request, paging from the start again', async () => {
    const listRuns = jest.fn().mockResolvedValue({ items: [aRun()], nextCursor: 'c1' });
    await renderTable(listRuns);
    await screen.findByText('In progress');
    expect(listRuns).toHaveBeenLastCalledWith(expect.objectContaining({ order: 'newest', cursor: undefined }));
    await userEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(listRuns).toHaveBeenLastCalledWith(expect.objectContaining({ order: 'newest', cursor: 'c1' }));
    await userEvent.click(screen.getByRole('button', { name: 'Started' }));
    await waitFor(() =>
      expect(listRuns).toHaveBeenLastCalledWith(expect.objectContaining({ order: 'oldest', cursor: undefined })),
    );
    expect(await screen.findByTestId('runs-count')).toHaveTextContent('Runs 1–1, more newer, oldest first');
    expect(screen.getByRole('columnheader', { name: 'Started' })).toHaveAttribute('aria-sort', 'ascending');
  });
});
