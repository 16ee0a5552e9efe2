import { ConflictError, InputError } from '@backstage/errors';
import {
  isFinalStatus,
  RunLink,
  StatusReport,
} from '@self-service-actions/plugin-self-service-actions-common';
import { RunRecord, RunUpdate, StepRecord } from '../database/RunStore';
import { withReportedMessage } from './messageHistory';
import { capRunLogs } from './capRunLogs';

/** Limits and durations that shape how a report is merged. */
export interface MergeSettings {
  tokenTtlMs: number;
  maxPendingApprovalMs: number;
  maxLogLinesPerStep: number;
  maxSteps: number;
  maxLinksPerRun: number;
  maxLogBytesPerRun: number;
}

/** The ConflictError a report on a final run answers with. */
export function finalRunConflict(run: Pick<RunRecord, 'id' | 'status'>): ConflictError {
  return new ConflictError(`Run ${run.id} is already ${run.status}`);
}

/**
 * Links merge by url. Past `maxLinks` a run's links are kept and new ones dropped: a report
 * that would pass the cap is accepted, trimmed, not refused.
 */
function mergeLinks(current: RunLink[], reported: RunLink[] | undefined, maxLinks: number): RunLink[] {
  if (!reported) {
    return current;
  }
  const merged = [...current];
  const positions = new Map(merged.map((link, index) => [link.url, index]));
  for (const link of reported) {
    const index = positions.get(link.url);
    if (index !== undefined) {
      merged[index] = { ...merged[index], ...link };
    } else if (merged.length < maxLinks) {
      positions.set(link.url, merged.length);
      merged.push(link);
    }
  }
  return merged;
}

/** A reported time wins; an explicit null clears it; an absent one keeps what is stored. */
function stepCompletedAt(
  reported: string | null | undefined,
  stored: Date | null | undefined,
): Date | null {
  if (reported) {
    return new Date(reported);
  }
  if (reported === null) {
    return null;
  }
  return stored ?? null;
}

function mergeSteps(
  current: StepRecord[],
  reported: NonNullable<StatusReport['steps']>,
  settings: MergeSettings,
): StepRecord[] {
  const titles = new Set<string>();
  for (const step of reported) {
    if (titles.has(step.title)) {
      throw new InputError(`The report has two steps titled "${step.title}"`);
    }
    titles.add(step.title);
  }
  const known = new Map(current.map(step => [step.title, step]));
  const newTitles = reported.filter(step => !known.has(step.title)).length;
  if (current.length + newTitles > settings.maxSteps) {
    throw new InputError(`A run may have at most ${settings.maxSteps} steps`);
  }
  return reported.map(step => {
    const existing = known.get(step.title);
    // A step that reached a final status keeps it; a late or replayed report cannot reopen it.
    const status =
      existing && isFinalStatus(existing.status) ? existing.status : step.status;
    const logs = step.logs ?? existing?.logs ?? [];
    const kept = logs.slice(-settings.maxLogLinesPerStep);
    // Reported logs replace the step's, and with them what was dropped of the old ones; logs
    // left as they were keep their count.
    const dropped = (step.logs ? 0 : existing?.droppedLogLines ?? 0) + logs.length - kept.length;
    return {
      title: step.title,
      status,
      startedAt: new Date(step.startedAt),
      completedAt: stepCompletedAt(step.completedAt, existing?.completedAt),
      logs: kept,
      ...(dropped > 0 ? { droppedLogLines: dropped } : {}),
    };
  });
}

/** The status a step still open when its run becomes final is given: it never finished. */
export const UNFINISHED_STEP_STATUS = 'terminated' as const;

/**
 * The steps a run that becomes final leaves open (in progress or pending approval), closed:
 * {@link UNFINISHED_STEP_STATUS}, completed at `now` unless a time was reported. Otherwise a
 * cancelled, expired or finished run would show a step "in progress" for ever.
 */
export function closeOpenSteps(steps: StepRecord[], now: Date): StepRecord[] {
  return steps
    .filter(step => !isFinalStatus(step.status))
    .map(step => ({ ...step, status: UNFINISHED_STEP_STATUS, completedAt: step.completedAt ?? now }));
}

/**
 * The steps a final report writes: those it names, and the stored ones it does not name; every
 * one still open is closed (see closeOpenSteps).
 */
function finalSteps(current: StepRecord[], reported: StepRecord[], now: Date): StepRecord[] {
  const named = new Set(reported.map(step => step.title));
  const unnamedOpen = current.filter(step => !named.has(step.title) && !isFinalStatus(step.status));
  const written = [...reported, ...unnamedOpen];
  const closed = new Map(closeOpenSteps(written, now).map(step => [step.title, step]));
  return written.map(step => closed.get(step.title) ?? step);
}

/**
 * Computes what a valid status report changes on a run; a final report closes the steps it
 * leaves open. Throws `ConflictError` when the run is already final and `InputError` when the
 * report cannot be merged.
 */
export function mergeReport(
  run: RunRecord,
  report: StatusReport,
  now: Date,
  settings: MergeSettings,
): RunUpdate {
  if (isFinalStatus(run.status)) {
    throw finalRunConflict(run);
  }
  const reported = report.steps ? mergeSteps(run.steps, report.steps, settings) : [];
  const final = isFinalStatus(report.status);
  const steps = capRunLogs(
    run.steps,
    final ? finalSteps(run.steps, reported, now) : reported,
    settings.maxLogBytesPerRun,
  );
  // Entering or leaving pending-approval renews the deadline, but never past
  // maxPendingApproval after the run was created: a reporter that toggles cannot keep a run
  // (and its token) alive for ever.
  const latest = run.createdAt.getTime() + settings.maxPendingApprovalMs;
  let expiresAt = run.expiresAt;
  if (report.status === 'pending-approval' && run.status !== 'pending-approval') {
    expiresAt = new Date(Math.min(now.getTime() + settings.maxPendingApprovalMs, latest));
  } else if (report.status !== 'pending-approval' && run.status === 'pending-approval') {
    expiresAt = new Date(Math.min(now.getTime() + settings.tokenTtlMs, latest));
  }
  let completedAt: Date | null = null;
  if (final) {
    completedAt = report.completedAt ? new Date(report.completedAt) : now;
  }
  return {
    run: {
      status: report.status,
      startedAt: new Date(report.startedAt),
      completedAt,
      message: report.message !== undefined ? report.message : run.message,
      messages: withReportedMessage(run.messages, report.message, now),
      links: mergeLinks(run.links, report.links, settings.maxLinksPerRun),
      updatedAt: now,
      lastReportAt: now,
      expiresAt,
    },
    steps,
  };
}
