import { mockServices } from '@backstage/backend-test-utils';
import { SampledCount } from './SampledCount';

describe('SampledCount', () => {
  it('counts every occurrence and logs at most once per interval, with the count by reason', () => {
    const logger = mockServices.logger.mock();
    const counter = { add: jest.fn() };
    let now = 0;
    const subject = new SampledCount({
      logger,
      counter,
      intervalMs: 1000,
      now: () => now,
      message: (count, byReason) => `Refused ${count} (${byReason})`,
    });
    subject.add('token');
    now = 10;
    subject.add('token');
    subject.add('final-run');
    now = 999;
    subject.add('token');
    expect(logger.warn.mock.calls).toEqual([['Refused 1 (token: 1)']]);
    now = 1000;
    subject.add('token');
    expect(logger.warn.mock.calls).toEqual([['Refused 1 (token: 1)'], ['Refused 4 (token: 3, final-run: 1)']]);
    expect(counter.add).toHaveBeenCalledTimes(5);
    expect(counter.add).toHaveBeenLastCalledWith(1, { reason: 'token' });
  });
});
