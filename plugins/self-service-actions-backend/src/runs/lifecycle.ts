/*
 * The rules of a run's life, in one place: which statuses are open or final, what a new run
 * looks like, and how each event (a report, the invocation's answer, a cancel, expiry) changes
 * a run. Each event is a decision made on the run's current state and written by the store
 * only if the run did not change meanwhile, so concurrent events never lose one another.
 */
import { AuthenticationError, ConflictError } from '@backstage/errors';
import {
  isFinalStatus,
  JsonObject,
  PublicActionDefinition,
  RunInitiatedVia,
  RunLink,
  RunStatus,
  StatusReport,
} from '@self-service-actions/plugin-self-service-actions-common';
import { ActionDefinition } from '../actions/types';
import { RunSettings } from '../config';
import { DispatchStatus, RunRecord, RunUpdate } from '../database/RunStore';
import { closeOpenSteps, finalRunConflict, mergeReport, UNFINISHED_STEP_STATUS } from './mergeReport';
import { JudgedReport } from './parseReport';

/** A decision on a run's current state: what to write, or undefined for nothing. */
export type RunDecision = (current: RunRecord) => RunUpdate | undefined;

/** Statuses in which a run may still change; past its deadline the sweep terminates it. */
export const OPEN_STATUSES: readonly RunStatus[] = ['inprogress', 'pending-approval'];

/** A stored run is invoked only in these statuses: a cancelled run is never sent. */
export const DISPATCHABLE_STATUSES: readonly RunStatus[] = ['inprogress'];

/**
 * What the sweep does, in this order: a run held for approval past its deadline is rejected;
 * then any other open run past its deadline is terminated.
 */
export const EXPIRY_RULES = [
  {
    statuses: ['pending-approval'],
    dispatchStatuses: ['held'],
    status: 'rejected',
    message: 'Rejected: approval expired',
    stepStatus: UNFINISHED_STEP_STATUS,
  },
  {
    statuses: OPEN_STATUSES,
    dispatchStatuses: ['pending', 'delivered', 'timed-out', 'failed'],
    status: 'terminated',
    message: 'Terminated: no final report before the report token expired',
    stepStatus: UNFINISHED_STEP_STATUS,
  },
] as const satisfies ReadonlyArray<{
  statuses: readonly RunStatus[];
  dispatchStatuses: readonly DispatchStatus[];
  status: RunStatus;
  message: string;
  stepStatus: RunStatus;
}>;

/** What the sweep writes on an open run whose report token expired. */
export const EXPIRED = EXPIRY_RULES[1];

/**
 * A new run, stored before anything is sent: in progress, with its deadline, and a lease on
 * its invocation (if this instance dies before sending, another claims the run when the lease
 * runs out and sends it). A run of an action that needs approval is held instead: pending
 * approval until its approval deadline, nothing to send yet.
 */
export function newRun(options: {
  id: string;
  action: ActionDefinition;
  snapshot: PublicActionDefinition;
  entityRef: string | null;
  initiatedBy: string;
  /** The inputs to store: secret ones are never stored. */
  storedInputs: JsonObject;
  hasSecretInputs: boolean;
  rerunOf: string | null;
  initiatedVia: RunInitiatedVia;
  /** A test-fire by an owner or admin. */
  test?: boolean;
  now: Date;
  leaseUntil: Date;
  settings: RunSettings;
}): Omit<RunRecord, 'steps'> {
  const { action, now } = options;
  const { approval } = action;
  const held = {
    status: 'pending-approval',
    startedAt: null,
    expiresAt: new Date(now.getTime() + (approval?.expiresAfterMs ?? 0)),
    dispatchStatus: 'held',
    dispatchLeaseUntil: null,
    dispatchAttempts: 0,
  } as const;
  return {
    id: options.id,
    actionId: action.id,
    actionName: action.name,
    actionType: action.type,
    actionSnapshot: options.snapshot,
    entityRef: options.entityRef,
    initiatedBy: options.initiatedBy,
    status: 'inprogress',
    message: null,
    messages: [],
    error: null,
    errorDetail: null,
    inputs: options.storedInputs,
    links: [],
    rerunOf: options.rerunOf,
    startedAt: now,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + options.settings.tokenTtlMs),
    lastReportAt: null,
    dispatchStatus: 'pending',
    dispatchLeaseUntil: options.leaseUntil,
    dispatchAttempts: 1,
    hasSecretInputs: options.hasSecretInputs,
    initiatedVia: options.initiatedVia,
    test: options.test ?? false,
    approval: approval
      ? {
          approvers: approval.approvers,
          required: approval.required,
          allowSelfApproval: approval.allowSelfApproval,
          decisions: [],
        }
      : null,
    ...(approval ? held : {}),
  };
}

/** 409 when a decision may not be made on the run as it is: it does not wait, or `by` decided. */
export function refuseDecision(current: RunRecord, by: string): void {
  if (current.status !== 'pending-approval' || current.dispatchStatus !== 'held') {
    throw new ConflictError(`Run ${current.id} is not waiting for approval (it is ${current.status})`);
  }
  if (current.approval?.decisions.some(decision => decision.by === by)) {
    throw new ConflictError(`You already decided on run ${current.id}`);
  }
}

/**
 * An approver's decision on a held run. A rejection rejects it (final; nothing is ever sent).
 * The approval that brings the approvals to the number required releases it: in progress, to
 * be sent under a lease, its token deadline counted from now. The store writes a decision
 * only on the state it was made on, so of two last approvals at once one releases the run and
 * the other decides again on the released run, and is refused.
 */
export function decide(options: {
  by: string;
  decision: 'approved' | 'rejected';
  comment: string | null;
  now: Date;
  leaseUntil: Date;
  settings: RunSettings;
}): RunDecision {
  const { by, decision, comment, now } = options;
  return current => {
    refuseDecision(current, by);
    const approval = current.approval!;
    const decisions = [...approval.decisions, { by, decision, comment, at: now }];
    const changes = { approval: { ...approval, decisions }, updatedAt: now };
    if (decision === 'rejected') {
      return {
        run: {
          ...changes,
          status: 'rejected',
          message: `Rejected by ${by}${comment ? `: ${comment}` : ''}`,
          completedAt: now,
        },
      };
    }
    const approvals = decisions.filter(d => d.decision === 'approved').length;
    if (approvals < approval.required) {
      return { run: changes };
    }
    return {
      run: {
        ...changes,
        status: 'inprogress',
        startedAt: now,
        expiresAt: new Date(now.getTime() + options.settings.tokenTtlMs),
        dispatchStatus: 'pending',
        dispatchLeaseUntil: options.leaseUntil,
        dispatchAttempts: 1,
      },
    };
  };
}

/**
 * A status report, checked in the order of the contract, each refusal changing nothing: a
 * final run 409 (even with an expired token, so the receiver stops), an expired token 401, an
 * invalid body 400. `judge` is asked only then, and may be asked more than once.
 */
export function applyReport(judge: () => JudgedReport, now: Date, settings: RunSettings): RunDecision {
  return current => {
    if (isFinalStatus(current.status)) {
      throw finalRunConflict(current);
    }
    if (current.expiresAt.getTime() <= now.getTime()) {
      throw new AuthenticationError('Report token expired');
    }
    const judged = judge();
    if (judged.error) {
      throw judged.error;
    }
    return mergeReport(current, judged.report, now, settings);
  };
}

/**
 * The invocation's immediate answer, when it is a report. The receiver may already have
 * reported (even a final status) before answering: a final run only records the delivery, and
 * an answer that cannot be merged is ignored.
 */
export function applyAnswer(report: StatusReport, now: Date, settings: RunSettings): RunDecision {
  return current => {
    if (isFinalStatus(current.status)) {
      return { run: { dispatchStatus: 'delivered' } };
    }
    try {
      const update = mergeReport(current, report, now, settings);
      return { ...update, run: { ...update.run, dispatchStatus: 'delivered' } };
    } catch {
      return { run: { dispatchStatus: 'delivered' } };
    }
  };
}

/**
 * An invocation whose answer is the result (a method that does not report back) completes its
 * run; a run that is final already (cancelled meanwhile) keeps its status.
 */
export function completeOnAnswer(
  message: string | undefined,
  now: Date,
  settings: RunSettings,
): RunDecision {
  return current =>
    applyAnswer(
      {
        status: 'complete',
        startedAt: (current.startedAt ?? current.createdAt).toISOString(),
        ...(message === undefined ? {} : { message }),
      },
      now,
      settings,
    )(current);
}

/**
 * An invocation's answer: the report it held, if any, with the links the invoker put on the
 * run (a workflow's runs); links alone change nothing else.
 */
export function applyInvocationAnswer(
  report: StatusReport | undefined,
  links: RunLink[],
  now: Date,
  settings: RunSettings,
): RunDecision {
  return current => {
    const base = report ?? {
      status: current.status,
      startedAt: (current.startedAt ?? current.createdAt).toISOString(),
    };
    return applyAnswer({ ...base, links: [...links, ...(base.links ?? [])] }, now, settings)(current);
  };
}

/**
 * An invocation that failed fails its run (closing any step left open), unless a report already
 * reached it. `detail` is shown after the reason only to those who may see where the action
 * sends.
 */
export function failUndelivered(reason: string, now: Date, detail: string | null = null): RunDecision {
  return current =>
    isFinalStatus(current.status) || current.lastReportAt
      ? { run: { dispatchStatus: 'failed' } }
      : {
          run: {
            status: 'failed',
            error: reason,
            errorDetail: detail,
            completedAt: now,
            updatedAt: now,
            dispatchStatus: 'failed',
          },
          steps: closeOpenSteps(current.steps, now),
        };
}

/**
 * A cancel terminates an open run and the steps it left open (the external system is told
 * nothing); a final run answers 409.
 */
export function cancelBy(userRef: string, now: Date): RunDecision {
  return current => {
    if (isFinalStatus(current.status)) {
      throw finalRunConflict(current);
    }
    return {
      run: {
        status: 'terminated',
        message: `Cancelled by ${userRef}`,
        completedAt: now,
        updatedAt: now,
      },
      steps: closeOpenSteps(current.steps, now),
    };
  };
}
