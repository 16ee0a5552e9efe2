import { RunRecord, StepRecord } from '../database/RunStore';
import { sampleRun } from '../testing/sampleAction';
import { cancelBy, EXPIRY_RULES, failUndelivered } from './lifecycle';
import { closeOpenSteps, mergeReport, UNFINISHED_STEP_STATUS } from './mergeReport';

const settings = {
  tokenTtlMs: 60_000,
  maxPendingApprovalMs: 3_600_000,
  maxLogLinesPerStep: 100,
  maxSteps: 10,
  maxLogLineLength: 1000,
  maxLinksPerRun: 10,
  maxLogBytesPerRun: 1_000_000,
};
const now = new Date('2026-05-10T16:00:00.000Z');
const started = '2026-05-10T15:35:42.714Z';
const startedAt = new Date(started);

function step(title: string, status: StepRecord['status'], completedAt: Date | null = null): StepRecord {
  return { title, status, startedAt, completedAt, logs: [`${title} log`] };
}

function runWithSteps(steps: StepRecord[]): RunRecord {
  return { ...sampleRun(), steps };
}

describe('steps left open when a run becomes final', () => {
  const done = step('Build', 'complete', startedAt);
  const running = step('Deploy', 'inprogress');
  const waiting = step('Approve', 'pending-approval');

  it('closes only the open steps, keeping their logs and any reported completion time', () => {
    const reported = step('Verify', 'inprogress', new Date(started));
    expect(closeOpenSteps([done, running, waiting, reported], now)).toEqual([
      { ...running, status: UNFINISHED_STEP_STATUS, completedAt: now },
      { ...waiting, status: UNFINISHED_STEP_STATUS, completedAt: now },
      { ...reported, status: UNFINISHED_STEP_STATUS, completedAt: startedAt },
    ]);
    expect(UNFINISHED_STEP_STATUS).toBe('terminated');
  });

  it('terminates the running step of a cancelled run', () => {
    const update = cancelBy('user:default/jane', now)(runWithSteps([done, running]));
    expect(update?.run).toMatchObject({ status: 'terminated', message: 'Cancelled by user:default/jane' });
    expect(update?.steps).toEqual([{ ...running, status: 'terminated', completedAt: now }]);
  });

  it('terminates open steps when the invocation fails, and leaves a reported run alone', () => {
    const run = runWithSteps([running]);
    expect(failUndelivered('Webhook answered 500', now)(run)?.steps).toEqual([
      { ...running, status: 'terminated', completedAt: now },
    ]);
    expect(failUndelivered('late', now)({ ...run, lastReportAt: now })).toEqual({
      run: { dispatchStatus: 'failed' },
    });
  });

  it('closes the steps a final report leaves in progress, named or not', () => {
    const run = runWithSteps([done, running, step('Smoke test', 'inprogress')]);
    const update = mergeReport(
      run,
      {
        status: 'complete',
        startedAt: started,
        steps: [
          { title: 'Deploy', status: 'inprogress', startedAt: started, logs: ['rolled out'] },
          { title: 'Verify', status: 'complete', startedAt: started, completedAt: started },
        ],
      },
      now,
      settings,
    );
    expect(update.run.status).toBe('complete');
    expect(update.steps).toEqual([
      { title: 'Deploy', status: 'terminated', startedAt, completedAt: now, logs: ['rolled out'] },
      { title: 'Verify', status: 'complete', startedAt, completedAt: startedAt, logs: [] },
      { ...step('Smoke test', 'inprogress'), status: 'terminated', completedAt: now },
    ]);
  });

  it('leaves steps open while the run is', () => {
    const update = mergeReport(
      runWithSteps([running]),
      { status: 'inprogress', startedAt: started, steps: [{ title: 'Build', status: 'inprogress', startedAt: started }] },
      now,
      settings,
    );
    expect(update.steps).toEqual([{ title: 'Build', status: 'inprogress', startedAt, completedAt: null, logs: [] }]);
  });

  it('has the expiry sweep close open steps too', () => {
    expect(EXPIRY_RULES.map(rule => rule.stepStatus)).toEqual([UNFINISHED_STEP_STATUS, UNFINISHED_STEP_STATUS]);
  });
});
