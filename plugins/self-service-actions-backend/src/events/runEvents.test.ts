import { RunRecord } from '../database/RunStore';
import { sampleRun } from '../testing/sampleAction';
import { runEvents, sinkTakes } from './runEvents';

const t0 = new Date('2026-01-05T10:00:00.000Z');
const t1 = new Date('2026-01-05T10:00:05.000Z');
const run = (overrides: Partial<RunRecord> = {}): RunRecord => ({
  ...sampleRun({ createdAt: t0, updatedAt: t0, dispatchStatus: 'pending' }),
  steps: [],
  ...overrides,
});
const summary = (events: ReturnType<typeof runEvents>) =>
  events.map(event => [event.type, event.sequence, event.runStatus]);

describe('runEvents', () => {
  it('tells of a new run, and of its end when it is stored ended', () => {
    expect(summary(runEvents(undefined, run()))).toEqual([['run.created', 1, 'inprogress']]);
    expect(summary(runEvents(undefined, run({ status: 'pending-approval', dispatchStatus: 'held' })))).toEqual([
      ['run.created', 1, 'pending-approval'],
    ]);
    const refused = run({ status: 'failed', error: 'No such entity', completedAt: t0 });
    expect(runEvents(undefined, refused).map(event => [event.type, event.detail])).toEqual([
      ['run.created', null],
      ['run.failed', { reason: 'No such entity', elapsedMs: 0 }],
    ]);
  });

  it('numbers on from the events the run has, at the time of the change', () => {
    const before = run({ eventSequence: 4 });
    const events = runEvents(before, { ...before, dispatchStatus: 'delivered', updatedAt: t1 });
    expect(events).toEqual([
      expect.objectContaining({ type: 'run.dispatched', sequence: 5, createdAt: t1, runId: before.id }),
    ]);
  });

  it('dates a change that left updatedAt alone now', () => {
    const before = run();
    const [event] = runEvents(before, { ...before, dispatchStatus: 'delivered' });
    expect(event.createdAt.getTime()).toBeGreaterThan(t1.getTime());
  });

  it('tells of each approval with its review, then of the release and its dispatch', () => {
    const held = run({
      status: 'pending-approval',
      dispatchStatus: 'held',
      approval: { approvers: ['group:default/sre'], required: 2, allowSelfApproval: false, decisions: [] },
      eventSequence: 1,
    });
    const decisions = [
      { by: 'user:default/vic', decision: 'approved' as const, comment: 'ok', at: t1 },
      { by: 'user:default/ada', decision: 'approved' as const, comment: null, at: t1 },
    ];
    const released = {
      ...held,
      status: 'inprogress' as const,
      dispatchStatus: 'delivered' as const,
      approval: { ...held.approval!, decisions },
      updatedAt: t1,
    };
    expect(runEvents(held, released).map(event => [event.type, event.sequence, event.detail])).toEqual([
      ['run.approved', 2, { review: { by: 'user:default/vic', decision: 'approved', comment: 'ok' } }],
      ['run.approved', 3, { review: { by: 'user:default/ada', decision: 'approved', comment: null } }],
      ['run.dispatched', 4, null],
    ]);
  });

  it('tells of a rejection once, with its review and why', () => {
    const held = run({
      status: 'pending-approval',
      dispatchStatus: 'held',
      approval: { approvers: ['group:default/sre'], required: 1, allowSelfApproval: false, decisions: [] },
    });
    const rejected = {
      ...held,
      status: 'rejected' as const,
      message: 'Rejected by user:default/vic: not now',
      completedAt: t1,
      updatedAt: t1,
      approval: { ...held.approval!, decisions: [{ by: 'user:default/vic', decision: 'rejected' as const, comment: 'not now', at: t1 }] },
    };
    expect(runEvents(held, rejected).map(event => [event.type, event.detail])).toEqual([
      [
        'run.rejected',
        {
          review: { by: 'user:default/vic', decision: 'rejected', comment: 'not now' },
          reason: 'Rejected by user:default/vic: not now',
          elapsedMs: 5000,
        },
      ],
    ]);
    // Rejected by the receiver (external approval): no review.
    expect(runEvents(run(), { ...run(), status: 'rejected', completedAt: t1 }).map(e => e.type)).toEqual(['run.rejected']);
  });

  it('tells of each end with its type, and of nothing after it', () => {
    const open = run({ dispatchStatus: 'delivered' });
    const end = (status: RunRecord['status'], message: string | null = null) =>
      runEvents(open, { ...open, status, message, completedAt: t1, updatedAt: t1 }).map(e => [e.type, e.detail]);
    expect(end('complete', 'All done')).toEqual([['run.succeeded', { elapsedMs: 5000 }]]);
    expect(end('failed', 'Step 3 failed')).toEqual([['run.failed', { reason: 'Step 3 failed', elapsedMs: 5000 }]]);
    expect(end('terminated', 'Cancelled by user:default/jane')).toEqual([
      ['run.terminated', { reason: 'Cancelled by user:default/jane', elapsedMs: 5000 }],
    ]);
    const ended = { ...open, status: 'complete' as const, completedAt: t1 };
    expect(runEvents(ended, { ...ended, message: 'late', dispatchStatus: 'delivered', updatedAt: new Date() })).toEqual([]);
    // The webhook's answer arriving after a report ended the run: no dispatch after the end.
    expect(runEvents({ ...ended, dispatchStatus: 'pending' }, { ...ended, dispatchStatus: 'delivered' })).toEqual([]);
    // A progress report tells of nothing.
    expect(runEvents(open, { ...open, message: 'halfway', updatedAt: t1 })).toEqual([]);
  });

  it('tells of a dispatch and an end in one change in that order', () => {
    const sent = run();
    const answered = { ...sent, status: 'complete' as const, dispatchStatus: 'delivered' as const, completedAt: t1, updatedAt: t1 };
    expect(summary(runEvents(sent, answered))).toEqual([
      ['run.dispatched', 1, 'complete'],
      ['run.succeeded', 2, 'complete'],
    ]);
  });
});

describe('sinkTakes', () => {
  it('filters by type and action, each left out meaning all', () => {
    const all = { id: 'all', giveUpAfterMs: 1 };
    const some = { id: 'some', types: ['run.created' as const], actions: ['restart-service'], giveUpAfterMs: 1 };
    expect(sinkTakes(all, 'run.failed', 'anything')).toBe(true);
    expect(sinkTakes(some, 'run.created', 'restart-service')).toBe(true);
    expect(sinkTakes(some, 'run.failed', 'restart-service')).toBe(false);
    expect(sinkTakes(some, 'run.created', 'other')).toBe(false);
  });
});
