import { StepRecord } from '../database/RunStore';

function lineBytes(line: string): number {
  return Buffer.byteLength(line, 'utf8');
}

function logBytes(steps: StepRecord[]): number {
  return steps.reduce((sum, step) => sum + step.logs.reduce((n, line) => n + lineBytes(line), 0), 0);
}

/**
 * The steps a report writes, with the run's log lines kept within `maxBytes` (UTF-8, every
 * step together). Over it, the oldest lines of the run go first: steps in the order they first
 * appeared, each from its first line, whichever step holds them, so the newest output is what
 * stays. A step the report did not name that loses lines is written too; each step adds what
 * it lost to `droppedLogLines`. A report is never refused for its size: it is trimmed.
 */
export function capRunLogs(current: StepRecord[], written: StepRecord[], maxBytes: number): StepRecord[] {
  const byTitle = new Map(written.map(step => [step.title, step]));
  const known = new Set(current.map(step => step.title));
  // The run as it will be: stored steps in their positions (as written, if written), then new ones.
  const run = [
    ...current.map(step => byTitle.get(step.title) ?? step),
    ...written.filter(step => !known.has(step.title)),
  ];
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most runs are far below the cap and are
  // never measured byte by byte.
  const units = run.reduce((sum, step) => sum + step.logs.reduce((n, line) => n + line.length, 0), 0);
  if (units * 3 <= maxBytes) {
    return written;
  }
  let excess = logBytes(run) - maxBytes;
  if (excess <= 0) {
    return written;
  }
  const trimmed = new Map<string, StepRecord>();
  for (const step of run) {
    let dropped = 0;
    while (excess > 0 && dropped < step.logs.length) {
      excess -= lineBytes(step.logs[dropped]);
      dropped++;
    }
    if (dropped > 0) {
      trimmed.set(step.title, {
        ...step,
        logs: step.logs.slice(dropped),
        droppedLogLines: (step.droppedLogLines ?? 0) + dropped,
      });
    }
    if (excess <= 0) break;
  }
  const unnamed = current
    .filter(step => !byTitle.has(step.title) && trimmed.has(step.title))
    .map(step => trimmed.get(step.title)!);
  return [...written.map(step => trimmed.get(step.title) ?? step), ...unnamed];
}
