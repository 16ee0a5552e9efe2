import { mockServices } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { sampleRun } from '../testing/sampleAction';
import { RunNotifier } from './RunNotifier';

const approval = {
  approvers: ['group:default/sre'],
  required: 1,
  allowSelfApproval: false,
  decisions: [],
};
const held = { ...sampleRun({ status: 'pending-approval', dispatchStatus: 'held', approval }), steps: [] };

describe('RunNotifier', () => {
  it('logs once when notifications cannot be sent (no notifications backend), then goes on quietly', async () => {
    const logger = mockServices.logger.mock();
    const send = jest.fn(async () => {
      throw new Error('Request failed with 404 Not Found');
    });
    const notifier = new RunNotifier({ notifications: { send }, logger });
    notifier.approvalRequested(held);
    notifier.decided({ ...held, status: 'rejected', message: 'Rejected by user:default/ada: no' }, 'user:default/ada');
    notifier.finished({ ...held, status: 'failed' });
    await new Promise(resolve => setImmediate(resolve));
    expect(send).toHaveBeenCalledTimes(3);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('is the notifications backend installed?'));
    expect(logger.debug).toHaveBeenCalledTimes(2);
  });

  it('tells only about runs that needed approval, and never the initiator about their own request', async () => {
    const sent: NotificationSendOptions[] = [];
    const notifier = new RunNotifier({
      notifications: { send: async options => void sent.push(options) },
      logger: mockServices.logger.mock(),
    });
    notifier.finished({ ...sampleRun({ status: 'complete' }), steps: [] });
    notifier.approvalRequested({ ...sampleRun(), steps: [] });
    expect(sent).toEqual([]);
    notifier.approvalRequested(held);
    notifier.decided({ ...held, status: 'inprogress', dispatchStatus: 'pending' }, 'user:default/vic');
    notifier.decided({ ...held, approval: { ...approval, required: 2 } }, 'user:default/vic');
    expect(sent.map(n => [n.recipients, n.payload.title, n.payload.link])).toEqual([
      [
        { type: 'entity', entityRef: ['group:default/sre'], excludeEntityRef: 'user:default/jane' },
        'Approval requested: Restart service',
        `/self-service-actions/runs/${held.id}`,
      ],
      [{ type: 'entity', entityRef: ['user:default/jane'] }, 'Approved: Restart service', `/self-service-actions/runs/${held.id}`],
    ]);
  });
});
