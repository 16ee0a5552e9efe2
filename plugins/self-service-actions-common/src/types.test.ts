import { isFinalStatus, RUN_STATUSES } from './types';

describe('isFinalStatus', () => {
  it('treats complete, failed, terminated and rejected as final', () => {
    expect(RUN_STATUSES.filter(isFinalStatus)).toEqual([
      'complete',
      'failed',
      'terminated',
      'rejected',
    ]);
  });
});
