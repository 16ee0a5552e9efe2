import { createApiRef } from '@backstage/core-plugin-api';
import {
  ActionDefinitionDocument,
  ActionListItem,
  CreateRunRequest,
  EventDelivery,
  EventDeliveryList,
  CallerInfo,
  RunPreview,
  EventDeliveryStatus,
  JsonObject,
  PublicActionDefinition,
  Run,
  RunList,
  RunStatus,
} from '@self-service-actions/plugin-self-service-actions-common';

/** Filters and paging of {@link SelfServiceActionsApi.listRuns}. */
export interface ListRunsOptions {
  actionId?: string;
  entityRef?: string;
  status?: RunStatus;
  mine?: boolean;
  /** Only the runs the user may approve or reject now. */
  awaitingMyDecision?: boolean;
  /** Include test runs (left out by default). */
  includeTests?: boolean;
  limit?: number;
  cursor?: string;
  /** By creation time: newest first (default) or oldest first. */
  order?: 'newest' | 'oldest';
}

/** Filters and paging of {@link SelfServiceActionsApi.listEventDeliveries}. */
export interface ListEventDeliveriesOptions {
  status?: EventDeliveryStatus;
  subscriberId?: string;
  /** 1 to 100; the backend answers 20 when not given. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** Talks to the self-service actions backend. */
export interface SelfServiceActionsApi {
  /** Actions the user may see; with an entity, those that apply to it. */
  listActions(options?: { entityRef?: string }): Promise<ActionListItem[]>;
  getAction(id: string): Promise<PublicActionDefinition>;
  createRun(actionId: string, request: CreateRunRequest): Promise<Run>;
  listRuns(options?: ListRunsOptions): Promise<RunList>;
  getRun(id: string): Promise<Run>;
  rerun(id: string, inputs?: JsonObject): Promise<Run>;
  cancelRun(id: string): Promise<Run>;
  /** Approves a run that waits for approval. */
  approveRun(id: string, comment?: string): Promise<Run>;
  /** Rejects a run that waits for approval; a rejection says why. */
  rejectRun(id: string, comment: string): Promise<Run>;
  /**
   * Deliveries of lifecycle events to subscribers, newest first. Admins only: anyone else
   * gets a ResponseError with status 403.
   */
  listEventDeliveries(options?: ListEventDeliveriesOptions): Promise<EventDeliveryList>;
  /**
   * The exact request a run with this body would send now (owners of the action and admins),
   * secrets as `***`; nothing is stored or sent.
   */
  previewRun(actionId: string, request: CreateRunRequest): Promise<RunPreview>;
  /**
   * Who the signed-in user is to the plugin: whether they are an admin, whether they may
   * create actions and where those may send.
   */
  getCaller(): Promise<CallerInfo>;
  /** Creates an owner-managed action (`fieldErrors` on the ResponseError's body when invalid). */
  createAction(definition: JsonObject): Promise<PublicActionDefinition>;
  /** Replaces an owner-managed action's definition; 412 when `version` is no longer current. */
  updateAction(id: string, version: number, definition: JsonObject): Promise<PublicActionDefinition>;
  /** Deletes an owner-managed action (its runs stay readable). */
  deleteAction(id: string, version?: number): Promise<void>;
  /** An owner-managed action's definition as saved, for its editor (owners and admins). */
  getActionDefinition(id: string): Promise<ActionDefinitionDocument>;
  /** A real run marked `test`, of a Draft too (owners and admins). */
  testRun(actionId: string, request: CreateRunRequest): Promise<Run>;
  /**
   * Sends a delivered or failed event to its subscriber again; answers the delivery, pending
   * again. Admins only (403); 404 for an unknown delivery, 409 while it is still pending.
   */
  retryEventDelivery(id: string): Promise<EventDelivery>;
}

/** The API reference of {@link SelfServiceActionsApi}. */
export const selfServiceActionsApiRef = createApiRef<SelfServiceActionsApi>({
  id: 'plugin.self-service-actions.service',
});
