/**
 * Lifecycle events: what the plugin tells other systems about runs (webhook subscribers and
 * Backstage's events service), and the deliveries admins follow.
 */

/** The kinds of change a lifecycle event tells of, in the order a run usually has them. */
export const EVENT_TYPES = [
  'run.created',
  'run.approved',
  'run.rejected',
  'run.dispatched',
  'run.succeeded',
  'run.failed',
  'run.terminated',
] as const;

/** The kind of change a lifecycle event tells of. @public */
export type EventType = (typeof EVENT_TYPES)[number];

/** The topic of Backstage's events service the events are published on. @public */
export const SELF_SERVICE_ACTIONS_EVENT_TOPIC = 'self-service-actions';

/**
 * The body of a lifecycle event, as POSTed to subscribers and published on the events
 * service. Never inputs, tokens or secrets. @public
 */
export interface LifecycleEvent {
  type: EventType;
  /** Unique; sent as `webhook-id` on every attempt, so receivers dedupe on it. */
  id: string;
  /** When the change happened (ISO 8601). */
  timestamp: string;
  data: {
    run: {
      id: string;
      actionId: string;
      actionName: string;
      actionType: string;
      entityRef: string | null;
      initiatedBy: string;
      /** The run's status right after the change. */
      status: string;
      createdAt: string;
      completedAt: string | null;
      /** The run's page in the app. */
      url: string;
    };
    /** The event's place among its run's events, from 1: receivers order by it. */
    sequence: number;
    /** run.approved and run.rejected by a decision: who decided and why. */
    review?: { by: string; decision: 'approved' | 'rejected'; comment: string | null };
    /** Final events: milliseconds from the run's creation to its end. */
    elapsedMs?: number;
    /** run.failed and run.terminated: the run's message (why it ended). */
    reason?: string;
  };
}

/** Where a delivery stands. @public */
export type EventDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One lifecycle event on its way to one subscriber (admins' view). @public */
export interface EventDelivery {
  id: string;
  eventId: string;
  subscriberId: string;
  type: EventType;
  runId: string;
  sequence: number;
  status: EventDeliveryStatus;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  responseStatus: number | null;
  lastError: string | null;
}

/** A page of deliveries, newest first. @public */
export interface EventDeliveryList {
  items: EventDelivery[];
  nextCursor?: string;
}

/** Who the caller is to the plugin (`GET /me`). @public */
export interface CallerInfo {
  userEntityRef: string;
  /** In `selfServiceActions.admins`, directly or through a group. */
  admin: boolean;
  /**
   * Whether the caller may create actions through the API (managed actions are on and the
   * permission policy allows `self-service-actions.action.create`).
   */
  canCreateActions: boolean;
  /** Where owner-managed actions may send (`managedActions.allowedUrls`); empty when off. */
  allowedUrls: string[];
}

/** A request as a run would send it, secrets as `***` (`POST /actions/:id/preview`). @public */
export interface PreviewedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What `POST /actions/:id/preview` answers. @public */
export interface RunPreview {
  request: PreviewedRequest;
  /** `webhook-id`, `webhook-timestamp` and `webhook-signature` (as `v1,***`); empty when unsigned. */
  signature: { headers: Record<string, string> };
}
