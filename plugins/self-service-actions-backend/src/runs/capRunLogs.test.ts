import { StatusReport } from '@self-service-actions/plugin-self-service-actions-common';
import { StepRecord } from '../database/RunStore';
import { sampleRun } from '../testing/sampleAction';
import { capRunLogs } from './capRunLogs';
import { mergeReport } from './mergeReport';

const startedAt = new Date('2026-05-10T15:35:42.714Z');
const started = startedAt.toISOString();
const now = new Date('2026-05-10T16:00:00.000Z');

function step(title: string, logs: string[], droppedLogLines?: number): StepRecord {
  return { title, status: 'inprogress', startedAt, completedAt: null, logs, ...(droppedLogLines ? { droppedLogLines } : {}) };
}

const settings = (maxLogBytesPerRun: number, maxLogLinesPerStep = 100) => ({
  tokenTtlMs: 60_000,
  maxPendingApprovalMs: 3_600_000,
  maxLogLinesPerStep,
  maxSteps: 10,
  maxLinksPerRun: 10,
  maxLogBytesPerRun,
});

/** Ten-byte lines. */
const lines = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-line-${i}`.padEnd(10, '.'));

describe('capRunLogs', () => {
  it('writes the report as it is while the run stays within the cap', () => {
    const written = [step('B', lines('b', 3))];
    expect(capRunLogs([step('A', lines('a', 3))], written, 60)).toBe(written);
  });

  it('drops the oldest lines of the run first, from a step the report did not name, which is then written', () => {
    const current = [step('A', lines('a', 4)), step('B', lines('b', 2))];
    const written = [step('B', lines('b', 4)), step('C', lines('c', 2))];
    // 4 + 4 + 2 lines of 10 bytes, 70 kept: A loses its 3 oldest lines.
    expect(capRunLogs(current, written, 70)).toEqual([
      step('B', lines('b', 4)),
      step('C', lines('c', 2)),
      step('A', lines('a', 4).slice(3), 3),
    ]);
  });

  it('goes on into the next step, counts on top of what a step lost before, and measures UTF-8 bytes', () => {
    const current = [step('A', ['ééééé'], 5), step('B', lines('b', 3))];
    // "ééééé" is 10 bytes (5 characters): 60 bytes for a cap of 30 drop A's line, then B's two oldest.
    const written = [step('C', lines('c', 2))];
    expect(capRunLogs(current, written, 30)).toEqual([
      step('C', lines('c', 2)),
      step('A', [], 6),
      step('B', lines('b', 3).slice(2), 2),
    ]);
  });

  it('drops even the newest lines of a report that alone passes the cap, oldest first', () => {
    expect(capRunLogs([], [step('A', lines('a', 5))], 25)).toEqual([step('A', lines('a', 5).slice(3), 3)]);
  });
});

describe('mergeReport with the log caps', () => {
  const report = (steps: StatusReport['steps']): StatusReport => ({ status: 'inprogress', startedAt: started, steps });

  it('counts the lines maxLogLinesPerStep drops, and reported logs replace what was dropped before', () => {
    const run = { ...sampleRun(), steps: [step('A', lines('a', 2), 40)] };
    const update = mergeReport(run, report([{ title: 'A', status: 'inprogress', startedAt: started, logs: lines('a', 5) }]), now, settings(1000, 3));
    expect(update.steps).toEqual([step('A', lines('a', 5).slice(2), 2)]);
    // A step reported without logs keeps its lines and its count.
    const same = mergeReport(run, report([{ title: 'A', status: 'complete', startedAt: started }]), now, settings(1000, 3));
    expect(same.steps![0]).toMatchObject({ logs: lines('a', 2), droppedLogLines: 40 });
  });

  it('trims a final report too, with the steps it closes', () => {
    const run = { ...sampleRun(), steps: [step('A', lines('a', 3)), step('B', lines('b', 1))] };
    const update = mergeReport(
      run,
      { status: 'complete', startedAt: started, steps: [{ title: 'C', status: 'complete', startedAt: started, logs: lines('c', 2) }] },
      now,
      settings(40),
    );
    expect(update.steps!.map(s => [s.title, s.status, s.logs.length, s.droppedLogLines])).toEqual([
      ['C', 'complete', 2, undefined],
      ['A', 'terminated', 1, 2],
      ['B', 'terminated', 1, undefined],
    ]);
  });
});
