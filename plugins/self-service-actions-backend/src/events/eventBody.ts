import { LifecycleEvent } from '@self-service-actions/plugin-self-service-actions-common';
import { ClaimedDelivery } from '../database/EventDeliveryStore';

/**
 * The body of a claimed delivery's event: the run's fixed fields (read at delivery) and what
 * the event stored of the change. Never inputs, tokens or secrets: none are read.
 */
export function eventBody(
  delivery: ClaimedDelivery,
  runPageUrl: (runId: string) => string,
): LifecycleEvent {
  const { event, run } = delivery;
  const data: LifecycleEvent['data'] = {
    run: {
      id: run.id,
      actionId: run.actionId,
      actionName: run.actionName,
      actionType: run.actionType,
      entityRef: run.entityRef,
      initiatedBy: run.initiatedBy,
      status: event.runStatus,
      createdAt: run.createdAt.toISOString(),
      completedAt: event.completedAt?.toISOString() ?? null,
      url: runPageUrl(run.id),
    },
    sequence: event.sequence,
  };
  const detail = event.detail ?? {};
  if (detail.review) data.review = detail.review;
  if (typeof detail.elapsedMs === 'number') data.elapsedMs = detail.elapsedMs;
  if (typeof detail.reason === 'string') data.reason = detail.reason;
  return { type: event.type, id: event.id, timestamp: event.createdAt.toISOString(), data };
}
