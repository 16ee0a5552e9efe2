import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { ApiErrorPanel } from './ApiErrorPanel';

async function backendError(status: number, message: string) {
  const body = JSON.stringify({ error: { name: 'Error', message }, request: { method: 'GET', url: '/x' }, response: { statusCode: status } });
  return ResponseError.fromResponse(new Response(body, { status, statusText: 'Internal Server Error', headers: { 'content-type': 'application/json' } }) as any);
}

describe('ApiErrorPanel', () => {
  it("shows the backend's own message and retries", async () => {
    const onRetry = jest.fn();
    const error = await backendError(500, 'The database is restarting; try again in a minute');
    await renderInTestApp(<ApiErrorPanel title="Runs could not be loaded" error={error} onRetry={onRetry} />);
    expect(screen.getByText('Runs could not be loaded')).toBeInTheDocument();
    expect(screen.getByText('The database is restarting; try again in a minute')).toBeInTheDocument();
    expect(screen.queryByText(/Request failed/)).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalled();
  });

  it('shows a network error as it is, without Retry when there is nothing to retry', async () => {
    await renderInTestApp(<ApiErrorPanel title="Actions could not be loaded" error={new TypeError('Failed to fetch')} />);
    expect(screen.getByText('Failed to fetch')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
  });
});
