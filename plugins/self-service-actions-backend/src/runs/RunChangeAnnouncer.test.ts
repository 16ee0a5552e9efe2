import { mockServices } from '@backstage/backend-test-utils';
import { RunChangedSignal, RunStatus } from '@self-service-actions/plugin-self-service-actions-common';
import { RunRecord } from '../database/RunStore';
import { sampleRun } from '../testing/sampleAction';
import { RunChangeAnnouncer } from './RunChangeAnnouncer';
import { SignalReaders } from '../access/SignalReaders';

function run(id: string, status: RunStatus, fields: Partial<RunRecord> = {}): RunRecord {
  return { ...sampleRun(), steps: [], id, status, ...fields };
}

describe('RunChangeAnnouncer', () => {
  const team = ['user:default/jane', 'group:default/platform'];
  const other = ['user:default/sam'];
  let sent: Array<{ audience: string[]; runs: RunChangedSignal['runs'] }>;
  let failNext: boolean;
  const logger = mockServices.logger.mock();

  function announcer(maxRunsPerSignal = 100, maxQueuedChanges = 1000) {
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
      maxQueuedChanges,
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
    subject.announce(run('run-1', 'inprogress'), team);
    subject.announce(run('run-2', 'inprogress'), [...team].reverse());
    subject.announce(run('run-3', 'inprogress'), other);
    subject.announce(run('run-1', 'complete'), team);
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
    subject.announce(run('run-1', 'inprogress'), team);
    await jest.advanceTimersByTimeAsync(250);
    subject.announce(run('run-1', 'complete'), team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent.map(signal => signal.runs)).toEqual([
      [{ runId: 'run-1', status: 'inprogress' }],
      [{ runId: 'run-1', status: 'complete' }],
    ]);
  });

  it('sends a full batch at once, before its window ends', async () => {
    const subject = announcer(2);
    subject.announce(run('run-1', 'inprogress'), team);
    subject.announce(run('run-2', 'inprogress'), team);
    await Promise.resolve();
    expect(sent.map(signal => signal.runs.length)).toEqual([2]);
    subject.announce(run('run-3', 'inprogress'), team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent.map(signal => signal.runs.length)).toEqual([2, 1]);
  });

  it('logs a signal that could not be sent and goes on', async () => {
    const subject = announcer();
    failNext = true;
    subject.announce(run('run-1', 'inprogress'), team);
    await jest.advanceTimersByTimeAsync(250);
    expect(logger.warn).toHaveBeenCalledWith(
      'Could not announce changes of 1 run(s): events backend down',
    );
    subject.announce(run('run-1', 'complete'), team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent).toEqual([{ audience: team, runs: [{ runId: 'run-1', status: 'complete' }] }]);
  });

  it('sends what it gathered when flushed at shutdown, and waits for it', async () => {
    const subject = announcer();
    subject.announce(run('run-1', 'failed'), other);
    await subject.flush();
    expect(sent).toEqual([{ audience: other, runs: [{ runId: 'run-1', status: 'failed' }] }]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(1);
  });

  it('drops changes past its bound, counts them in one log line, and keeps re-announced runs', async () => {
    const subject = new RunChangeAnnouncer({
      publish: async (audience, runs) => void sent.push({ audience, runs }),
      logger,
      windowMs: 250,
      maxRunsPerSignal: 100,
      maxQueuedChanges: 2,
    });
    logger.warn.mockClear();
    subject.announce(run('run-1', 'inprogress'), team);
    subject.announce(run('run-2', 'inprogress'), other);
    subject.announce(run('run-3', 'inprogress'), team);
    subject.announce(run('run-4', 'inprogress'), other);
    // Already gathered: its newer status replaces the old one and takes no more room.
    subject.announce(run('run-1', 'complete'), team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent).toEqual([
      { audience: team, runs: [{ runId: 'run-1', status: 'complete' }] },
      { audience: other, runs: [{ runId: 'run-2', status: 'inprogress' }] },
    ]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toMatch(/^Dropped 1 run change signal\(s\)/);
    // Sent, the room is free again.
    subject.announce(run('run-5', 'inprogress'), team);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent.at(-1)).toEqual({ audience: team, runs: [{ runId: 'run-5', status: 'inprogress' }] });
  });

  describe('with the audience resolved to users the policy lets read each run', () => {
    const readers = new SignalReaders({ ttlMs: 60_000, maxReaders: 100 });
    const jane = { userRef: 'user:default/jane', ownershipRefs: ['group:default/platform'] };
    const pat = { userRef: 'user:default/pat', ownershipRefs: ['group:default/platform'] };
    const denied = { userRef: 'user:default/dan', ownershipRefs: ['group:default/platform'] };
    const stranger = { userRef: 'user:default/sam', ownershipRefs: ['group:default/other'] };

    function resolving() {
      return new RunChangeAnnouncer({
        publish: async (audience, runs) => void sent.push({ audience, runs }),
        resolveAudience: audience => readers.resolve(audience),
        logger,
        windowMs: 250,
        maxRunsPerSignal: 100,
        maxQueuedChanges: 1000,
      });
    }

    beforeAll(() => {
      readers.remember(jane, { none: false, test: () => true });
      readers.remember(denied, { none: true, test: () => false });
      readers.remember(stranger, { none: false, test: () => true });
      // A conditional decision: only Day2 runs.
      readers.remember(pat, { none: false, test: r => r.actionType === 'Day2' });
    });

    it('names each run only to the members of the audience the policy lets read it', async () => {
      const subject = resolving();
      subject.announce(run('day2', 'inprogress', { actionType: 'Day2' }), ['group:default/platform']);
      subject.announce(run('delete', 'inprogress', { actionType: 'Delete' }), ['group:default/platform']);
      subject.announce(run('own', 'complete', { actionType: 'Delete' }), ['user:default/dan']);
      await jest.advanceTimersByTimeAsync(250);
      expect(sent).toEqual([
        {
          audience: ['user:default/jane', 'user:default/pat'],
          runs: [{ runId: 'day2', status: 'inprogress' }],
        },
        { audience: ['user:default/jane'], runs: [{ runId: 'delete', status: 'inprogress' }] },
      ]);
    });

    it('sends one signal for a window when the decisions do not depend on the run', async () => {
      const subject = resolving();
      subject.announce(run('r1', 'inprogress', { actionType: 'Day2' }), ['user:default/jane', 'user:default/sam']);
      subject.announce(run('r2', 'complete', { actionType: 'Day2' }), ['user:default/jane', 'user:default/sam']);
      await jest.advanceTimersByTimeAsync(250);
      expect(sent).toEqual([
        {
          audience: ['user:default/jane', 'user:default/sam'],
          runs: [
            { runId: 'r1', status: 'inprogress' },
            { runId: 'r2', status: 'complete' },
          ],
        },
      ]);
    });
  });
});
