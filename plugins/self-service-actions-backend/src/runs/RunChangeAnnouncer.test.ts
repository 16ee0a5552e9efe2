import { mockServices } from '@backstage/backend-test-utils';
import { RunChangedSignal } from '@self-service-actions/plugin-self-service-actions-common';
import { RunChangeAnnouncer } from './RunChangeAnnouncer';

describe('RunChangeAnnouncer', () => {
  const team = ['user:default/jane', 'group:default/platform'];
  const other = ['user:default/sam'];
  let sent: Array<{ audience: string[]; runs: RunChangedSignal['runs'] }>;
  let failNext: boolean;
  const logger = mockServices.logger.mock();

  function announcer(maxRunsPerSignal = 100) {
    return new RunChangeAnnouncer({
      publish: async (audience, runs) => {
        if (failNext) {
          failNext = false;
          throw new Error('events backend down');
        }
        sent.push({ audience, runs });
      },
      logger,
      windowMs: 250,
      maxRunsPerSignal,
    });
  }

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    failNext = false;
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends the changes of one window as one signal per audience, latest status last', async () => {
    const subject = announcer();
    subject.announce('run-1', 'inprogress', team);
    subject.announce('run-2', 'inprogress', [...team].reverse());
    subject.announce('run-3', 'inprogress', other);
    subject.announce('run-1', 'complete', team);
    expect(sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(249);
    expect(sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([
      {
        audience: team,
        runs: [
          { runId: 'run-2', status: 'inprogress' },
          { runId: 'run-1', status: 'complete' },
        ],
      },
      { audience: other, runs: [{ runId: 'run-3', status: 'inprogress' }] },
    ]);
  });

  it('starts a new window after sending', async () => {
    const subject = announcer();
    subject.announce('run-1', 'inprogress', team);
    await jest.advanceTimersByTimeAsync(250);
    subject.announce('run-1', 'complete', team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent.map(signal => signal.runs)).toEqual([
      [{ runId: 'run-1', status: 'inprogress' }],
      [{ runId: 'run-1', status: 'complete' }],
    ]);
  });

  it('sends a full batch at once, before its window ends', async () => {
    const subject = announcer(2);
    subject.announce('run-1', 'inprogress', team);
    subject.announce('run-2', 'inprogress', team);
    await Promise.resolve();
    expect(sent.map(signal => signal.runs.length)).toEqual([2]);
    subject.announce('run-3', 'inprogress', team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent.map(signal => signal.runs.length)).toEqual([2, 1]);
  });

  it('logs a signal that could not be sent and goes on', async () => {
    const subject = announcer();
    failNext = true;
    subject.announce('run-1', 'inprogress', team);
    await jest.advanceTimersByTimeAsync(250);
    expect(logger.warn).toHaveBeenCalledWith(
      'Could not announce changes of 1 run(s): events backend down',
    );
    subject.announce('run-1', 'complete', team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent).toEqual([{ audience: team, runs: [{ runId: 'run-1', status: 'complete' }] }]);
  });

  it('sends what it gathered when flushed at shutdown, and waits for it', async () => {
    const subject = announcer();
    subject.announce('run-1', 'failed', other);
    await subject.flush();
    expect(sent).toEqual([{ audience: other, runs: [{ runId: 'run-1', status: 'failed' }] }]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(1);
  });
});
