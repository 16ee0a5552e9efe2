import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { alertApiRef } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { selfServiceActionsApiRef, SelfServiceActionsApi } from '../../api/SelfServiceActionsApi';
import { rootRouteRef } from '../../routes';
import { aDelivery, fakeApi } from '../testing/fakeApi';
import { EventDeliveries } from './EventDeliveries';

async function backendError(status: number, message: string) {
  const body = JSON.stringify({ error: { name: 'Error', message }, response: { statusCode: status } });
  return ResponseError.fromResponse(
    new Response(body, { status, statusText: 'Error', headers: { 'content-type': 'application/json' } }) as any,
  );
}

async function renderCard(overrides: Partial<SelfServiceActionsApi>) {
  const api = fakeApi(overrides);
  const alertApi = { post: jest.fn(), alert$: jest.fn() };
  const rendered = await renderInTestApp(
    <TestApiProvider
      apis={[
        [selfServiceActionsApiRef, api],
        [alertApiRef, alertApi],
      ]}
    >
      <EventDeliveries pageSize={2} />
    </TestApiProvider>,
    { mountedRoutes: { '/self-service-actions': rootRouteRef } },
  );
  return { api, alertApi, ...rendered };
}

const retryLabel = 'Retry delivery of run.succeeded for run run-1 to ops-hook';

describe('EventDeliveries', () => {
  it('shows the failed deliveries first, each with its run, answer, times and Retry', async () => {
    const lastAttemptAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const { api } = await renderCard({
      listEventDeliveries: jest.fn().mockResolvedValue({ items: [aDelivery({ lastAttemptAt })] }),
    });
    const row = await screen.findByTestId('event-delivery-row');
    expect(api.listEventDeliveries).toHaveBeenCalledTimes(1);
    expect(api.listEventDeliveries).toHaveBeenCalledWith({ status: 'failed', subscriberId: undefined, limit: 2, cursor: undefined });
    expect(screen.getByText('Event deliveries')).toBeInTheDocument();
    const cells = within(row).getAllByRole('cell').map(cell => cell.textContent);
    expect(cells.slice(0, 6)).toEqual(['run.succeededevent 3 of its run', 'run-1', 'ops-hook', 'Failed', '8', 'HTTP 502Bad gateway']);
    expect(within(row).getByRole('link', { name: 'Open run run-1' })).toHaveAttribute(
      'href',
      '/self-service-actions/runs/run-1',
    );
    const attempted = within(row).getByText('5 minutes ago');
    expect(attempted).toHaveAttribute('title', new Date(lastAttemptAt).toLocaleString());
    expect(within(row).getByRole('button', { name: retryLabel })).toBeEnabled();
  });

  it('renders nothing and asks for no deliveries when GET /me says the user is no admin', async () => {
    const { api } = await renderCard({
      getCaller: jest.fn(async () => ({ userEntityRef: 'user:default/jane', admin: false, canCreateActions: false, allowedUrls: [] })),
    });
    await waitFor(() => expect(api.getCaller).toHaveBeenCalled());
    await act(async () => {});
    expect(api.listEventDeliveries).not.toHaveBeenCalled();
    expect(screen.queryByText('Event deliveries')).toBeNull();
  });

  it('renders nothing at all for non-admins (403)', async () => {
    const refusal = await backendError(403, 'Only admins may see event deliveries');
    let refuse: (error: unknown) => void = () => {};
    const { api, container } = await renderCard({
      listEventDeliveries: jest.fn(() => new Promise<never>((_, reject) => (refuse = reject))),
    });
    expect(api.listEventDeliveries).toHaveBeenCalledTimes(1);
    // nothing while loading either, so non-admins never see the card flash
    expect(container).toBeEmptyDOMElement();
    await act(async () => refuse(refusal));
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByText(/Only admins/)).not.toBeInTheDocument();
  });

  it('retries a delivery and shows it pending again', async () => {
    const pending = aDelivery({ status: 'pending', attempts: 0, nextAttemptAt: new Date(Date.now() + 120_000).toISOString() });
    const { api, alertApi } = await renderCard({
      listEventDeliveries: jest.fn().mockResolvedValue({ items: [aDelivery()] }),
      retryEventDelivery: jest.fn().mockResolvedValue(pending),
    });
    await userEvent.click(await screen.findByRole('button', { name: retryLabel }));
    expect(api.retryEventDelivery).toHaveBeenCalledWith('delivery-1');
    const row = screen.getByTestId('event-delivery-row');
    await waitFor(() => expect(within(row).getByTestId('event-delivery-status')).toHaveTextContent('Pending'));
    expect(within(row).queryByRole('button', { name: retryLabel })).not.toBeInTheDocument();
    expect(within(row).getByText('in 2 minutes')).toBeInTheDocument();
    expect(alertApi.post).toHaveBeenCalledWith(expect.objectContaining({ severity: 'success' }));
    expect(api.listEventDeliveries).toHaveBeenCalledTimes(1);
  });

  it("says why a retry failed in an alert, in the backend's words, and keeps the row", async () => {
    const conflict = await backendError(409, 'Delivery delivery-1 is still pending');
    const { alertApi } = await renderCard({
      listEventDeliveries: jest.fn().mockResolvedValue({ items: [aDelivery()] }),
      retryEventDelivery: jest.fn().mockRejectedValue(conflict),
    });
    await userEvent.click(await screen.findByRole('button', { name: retryLabel }));
    await waitFor(() =>
      expect(alertApi.post).toHaveBeenCalledWith({
        message:
          'Could not retry delivery of run.succeeded for run run-1 to ops-hook: Delivery delivery-1 is still pending',
        severity: 'error',
      }),
    );
    expect(screen.getByTestId('event-delivery-status')).toHaveTextContent('Failed');
    expect(screen.getByRole('button', { name: retryLabel })).toBeEnabled();
  });

  it('reloads with the status chosen, from the first page, and says when none match', async () => {
    const listEventDeliveries = jest.fn().mockResolvedValue({ items: [aDelivery()] });
    await renderCard({ listEventDeliveries });
    await screen.findByTestId('event-delivery-row');
    listEventDeliveries.mockResolvedValue({ items: [] });
    await userEvent.click(screen.getByLabelText('Delivery status'));
    const options = within(screen.getByRole('listbox')).getAllByRole('option').map(o => o.textContent);
    expect(options).toEqual(['Any status', 'Failed', 'Pending', 'Delivered']);
    await userEvent.click(screen.getByRole('option', { name: 'Pending' }));
    expect(await screen.findByText('No pending deliveries')).toBeInTheDocument();
    expect(listEventDeliveries).toHaveBeenLastCalledWith({ status: 'pending', subscriberId: undefined, limit: 2, cursor: undefined });
    expect(screen.queryByTestId('event-delivery-row')).not.toBeInTheDocument();

    await userEvent.click(screen.getByLabelText('Delivery status'));
    await userEvent.click(screen.getByRole('option', { name: 'Any status' }));
    expect(await screen.findByText('No deliveries yet')).toBeInTheDocument();
    expect(listEventDeliveries).toHaveBeenLastCalledWith(expect.objectContaining({ status: undefined }));
  });

  it('filters by a subscriber typed or picked from those loaded', async () => {
    const listEventDeliveries = jest.fn().mockResolvedValue({
      items: [aDelivery(), aDelivery({ id: 'delivery-2', subscriberId: 'audit-log' })],
    });
    await renderCard({ listEventDeliveries });
    await screen.findAllByTestId('event-delivery-row');
    listEventDeliveries.mockResolvedValue({ items: [] });
    const field = screen.getByLabelText('Subscriber');
    await userEvent.click(field);
    expect(within(screen.getByRole('listbox')).getAllByRole('option').map(o => o.textContent)).toEqual([
      'audit-log',
      'ops-hook',
    ]);
    await userEvent.type(field, 'billing{Enter}');
    expect(await screen.findByText('No failed deliveries to billing')).toBeInTheDocument();
    expect(listEventDeliveries).toHaveBeenLastCalledWith({ status: 'failed', subscriberId: 'billing', limit: 2, cursor: undefined });
    await userEvent.clear(field);
    await waitFor(() =>
      expect(listEventDeliveries).toHaveBeenLastCalledWith(expect.objectContaining({ subscriberId: undefined })),
    );
  });

  it('appends the next page with Load more', async () => {
    const listEventDeliveries = jest
      .fn()
      .mockResolvedValueOnce({ items: [aDelivery()], nextCursor: 'c1' })
      .mockResolvedValueOnce({ items: [aDelivery({ id: 'delivery-2', runId: 'run-2' })] });
    await renderCard({ listEventDeliveries });
    await screen.findByTestId('event-delivery-row');
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('event-delivery-row')).toHaveLength(2));
    expect(listEventDeliveries).toHaveBeenLastCalledWith({ status: 'failed', subscriberId: undefined, limit: 2, cursor: 'c1' });
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it("shows other errors in the card, with the backend's message and Retry", async () => {
    const listEventDeliveries = jest.fn().mockRejectedValueOnce(await backendError(500, 'The database is restarting'));
    listEventDeliveries.mockResolvedValue({ items: [] });
    await renderCard({ listEventDeliveries });
    expect(await screen.findByText('Event deliveries could not be loaded')).toBeInTheDocument();
    expect(screen.getByText('The database is restarting')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('No failed deliveries')).toBeInTheDocument();
  });
});
