import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import { Run, RunApproval } from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { rootRouteRef } from '../../routes';
import { aRun, fakeApi } from '../testing/fakeApi';
import { AwaitingApprovals } from '../AwaitingApprovals/AwaitingApprovals';
import { ApprovalPanel, waitingFor } from './ApprovalPanel';

const approval: RunApproval = {
  required: 2,
  approvers: ['group:default/sre', 'user:default/olivia'],
  allowSelfApproval: false,
  expiresAt: '2026-05-13T15:35:42.714Z',
  decisions: [
    { by: 'user:default/vic', decision: 'approved', comment: 'fine by me', at: '2026-05-10T16:00:00.000Z' },
  ],
  canDecide: true,
};
const held = aRun({ status: 'pending-approval', startedAt: null, approval }) as Run & {
  approval: RunApproval;
};
const mountedRoutes = {
  '/catalog/:namespace/:kind/:name': entityRouteRef,
  '/self-service-actions': rootRouteRef,
};

async function render(api: ReturnType<typeof fakeApi>, run = held, onDecided = jest.fn()) {
  await renderInTestApp(
    <TestApiProvider apis={[[selfServiceActionsApiRef, api]]}>
      <ApprovalPanel run={run} onDecided={onDecided} />
    </TestApiProvider>,
    { mountedRoutes },
  );
  return onDecided;
}

describe('ApprovalPanel', () => {
  it('says what the run waits for and shows the decisions so far', async () => {
    await render(fakeApi());
    expect(screen.getByTestId('approval-waiting')).toHaveTextContent(
      'Waiting for 1 more approval from group:default/sre or user:default/olivia (not the initiator)',
    );
    expect(screen.getByRole('list', { name: 'Decisions' })).toHaveTextContent('vic approved');
    expect(screen.getByText('fine by me')).toBeInTheDocument();
    expect(waitingFor({ ...approval, decisions: [] })).toBe(
      'Waiting for 2 more approvals from group:default/sre or user:default/olivia',
    );
  });

  it('approves with an optional comment and hands back the run', async () => {
    const approved = aRun({ status: 'inprogress', approval: { ...approval, canDecide: false } });
    const api = fakeApi({ approveRun: jest.fn(async () => approved) });
    const onDecided = await render(api);
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(onDecided).toHaveBeenCalledWith(approved));
    expect(api.approveRun).toHaveBeenCalledWith('run-1', undefined);
  });

  it('asks why before rejecting, and sends the comment', async () => {
    const api = fakeApi();
    const onDecided = await render(api);
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    expect(screen.getByText('Say why you reject this run')).toBeInTheDocument();
    expect(api.rejectRun).not.toHaveBeenCalled();
    await userEvent.type(screen.getByRole('textbox', { name: 'Comment' }), 'not in the freeze');
    await userEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(api.rejectRun).toHaveBeenCalledWith('run-1', 'not in the freeze'));
    expect(onDecided).toHaveBeenCalled();
  });

  it("shows the backend's refusal", async () => {
    const refusal = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'ConflictError', message: 'You already decided on run run-1' },
          response: { statusCode: 409 },
        }),
        { status: 409, headers: { 'content-type': 'application/json' } },
      ),
    );
    await render(fakeApi({ approveRun: jest.fn(async () => Promise.reject(refusal)) }));
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByText('You already decided on run run-1')).toBeInTheDocument();
  });

  it('offers no buttons to who may not decide', async () => {
    await render(fakeApi(), { ...held, approval: { ...approval, canDecide: false } });
    expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'Comment' })).not.toBeInTheDocument();
  });
});

describe('AwaitingApprovals', () => {
  it('lists the runs awaiting my decision, each linking to its page', async () => {
    const api = fakeApi({ listRuns: jest.fn(async () => ({ items: [held] })) });
    await renderInTestApp(
      <TestApiProvider apis={[[selfServiceActionsApiRef, api]]}>
        <AwaitingApprovals />
      </TestApiProvider>,
      { mountedRoutes },
    );
    expect(await screen.findByText('Awaiting my approval')).toBeInTheDocument();
    expect(api.listRuns).toHaveBeenCalledWith({ awaitingMyDecision: true, limit: 50 });
    expect(screen.getByRole('link', { name: 'Restart service' })).toHaveAttribute(
      'href',
      '/self-service-actions/runs/run-1',
    );
    expect(screen.getByTestId('awaiting-run')).toHaveTextContent('Waiting for 1 more approval');
  });

  it('shows nothing when no run waits for me', async () => {
    const api = fakeApi();
    const { container } = await renderInTestApp(
      <TestApiProvider apis={[[selfServiceActionsApiRef, api]]}>
        <AwaitingApprovals />
      </TestApiProvider>,
      { mountedRoutes },
    );
    await waitFor(() => expect(api.listRuns).toHaveBeenCalled());
    expect(container).toBeEmptyDOMElement();
  });
});
