import { randomUUID } from 'node:crypto';
import {
  EventType,
  isFinalStatus,
  RunStatus,
} from '@self-service-actions/plugin-self-service-actions-common';
import type { RunRecord } from '../database/RunStore';

/** What an event adds to its run's fields: who decided, why the run ended, how long it took. */
export interface EventDetail {
  review?: { by: string; decision: 'approved' | 'rejected'; comment: string | null };
  reason?: string;
  elapsedMs?: number;
}

/** A lifecycle event as the outbox holds it (the run's fixed fields are read at delivery). */
export interface RunEvent {
  id: string;
  runId: string;
  type: EventType;
  /** The event's place among its run's events, from 1. */
  sequence: number;
  createdAt: Date;
  /** The run's status and completion time right after the change. */
  runStatus: RunStatus;
  completedAt: Date | null;
  detail: EventDetail | null;
}

/** Which events a sink (a subscriber, or the events service) takes. */
export interface EventSinkFilter {
  id: string;
  /** Undefined: every type. */
  types?: readonly EventType[];
  /** Undefined: every action. */
  actions?: readonly string[];
  /** How long a delivery is retried before it is marked failed. */
  giveUpAfterMs: number;
}

/** The event type of a run becoming final in `status`. */
export const FINAL_EVENT_TYPES: Record<Exclude<RunStatus, 'inprogress' | 'pending-approval'>, EventType> = {
  complete: 'run.succeeded',
  failed: 'run.failed',
  terminated: 'run.terminated',
  rejected: 'run.rejected',
};

/**
 * The lifecycle events a change of a run tells of (`before` undefined: the run was created),
 * in the order they happened, numbered on from `before`'s last. Every path that changes a run
 * through the store goes through here, so no change can forget its events.
 */
export function runEvents(before: RunRecord | undefined, after: RunRecord): RunEvent[] {
  const events: Array<Omit<RunEvent, 'sequence'>> = [];
  // The change's own time; a change that did not move updatedAt happened now.
  const at =
    before && after.updatedAt.getTime() <= before.updatedAt.getTime() ? new Date() : after.updatedAt;
  const add = (type: EventType, detail: EventDetail | null = null) =>
    events.push({
      id: randomUUID(),
      runId: after.id,
      type,
      createdAt: at,
      runStatus: after.status,
      completedAt: after.completedAt,
      detail,
    });
  if (!before) {
    add('run.created');
  }
  const wasFinal = before !== undefined && isFinalStatus(before.status);
  const known = before?.approval?.decisions.length ?? 0;
  let decidedRejection = false;
  for (const decision of after.approval?.decisions.slice(known) ?? []) {
    const review = { by: decision.by, decision: decision.decision, comment: decision.comment };
    if (decision.decision === 'approved') {
      add('run.approved', { review });
    } else if (!wasFinal && after.status === 'rejected') {
      add('run.rejected', { review, ...ending(after) });
      decidedRejection = true;
    }
  }
  if (!wasFinal && before?.dispatchStatus !== 'delivered' && after.dispatchStatus === 'delivered') {
    add('run.dispatched');
  }
  if (!wasFinal && isFinalStatus(after.status) && !decidedRejection) {
    const type = FINAL_EVENT_TYPES[after.status as keyof typeof FINAL_EVENT_TYPES];
    add(type, ending(after));
  }
  const first = (before?.eventSequence ?? 0) + 1;
  return events.map((event, index) => ({ ...event, sequence: first + index }));
}

/** A final event's detail: why the run ended (not for a success) and how long it took. */
function ending(run: RunRecord): EventDetail {
  const detail: EventDetail = {};
  const reason = run.error ?? run.message;
  if (run.status !== 'complete' && reason) {
    detail.reason = reason;
  }
  if (run.completedAt) {
    detail.elapsedMs = Math.max(0, run.completedAt.getTime() - run.createdAt.getTime());
  }
  return detail;
}

/** True when a sink takes an event of this type on a run of this action. */
export function sinkTakes(sink: EventSinkFilter, type: EventType, actionId: string): boolean {
  return (!sink.types || sink.types.includes(type)) && (!sink.actions || sink.actions.includes(actionId));
}
