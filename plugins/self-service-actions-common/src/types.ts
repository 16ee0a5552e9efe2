import { JsonObject, JsonValue } from './json';

/** The kinds of action a portal offers. */
export type ActionType = 'Day2' | 'Create' | 'Delete';

/** All action types, in display order. */
export const ACTION_TYPES: readonly ActionType[] = ['Day2', 'Create', 'Delete'];

/** Whether an action may be run (`Draft` actions are visible to owners but cannot run). */
export type ActionStatus = 'Active' | 'Draft';

/** Who sees an action by default. */
export type ActionVisibility = 'public' | 'private';

/** The status of a run or one of its steps. */
export type RunStatus =
  | 'inprogress'
  | 'pending-approval'
  | 'complete'
  | 'failed'
  | 'terminated'
  | 'rejected';

/** Every run status. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'inprogress',
  'pending-approval',
  'complete',
  'failed',
  'terminated',
  'rejected',
];

/** Statuses after which a run never changes again. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = [
  'complete',
  'failed',
  'terminated',
  'rejected',
];

/** True when a run (or step) in this status can no longer change. */
export function isFinalStatus(status: RunStatus): boolean {
  return FINAL_RUN_STATUSES.includes(status);
}

/**
 * Which entities an action applies to: a shorthand (`Application` = System,
 * `Service` = Component of type service, `Resource` = Resource) or a kind/type pair.
 */
export type AppliesTo =
  | 'Application'
  | 'Service'
  | 'Resource'
  | { kind: string; type?: string };

/** The definition of an action as the API shows it: no secrets, no header values. */
export interface PublicActionDefinition {
  id: string;
  name: string;
  type: ActionType;
  icon: string;
  status: ActionStatus;
  description?: string;
  owner: string;
  visibility: ActionVisibility;
  appliesTo?: AppliesTo[];
  /** JSON Schema (draft-07) of the form. */
  userInputs: JsonObject;
  /** RJSF uiSchema for the form. */
  uiSchema?: JsonObject;
  method: {
    type: string;
    /** Only shown to the action's owners and admins. */
    url?: string;
  };
  /** Where the definition lives: app-config (`config`) or the plugin's database (`api`). */
  source: ActionDefinitionSource;
  /**
   * The definition's version: 1 for app-config actions (a deploy that changes one is not
   * counted), counted up by every change of an API action (`If-Match` on `PUT /actions/:id`).
   */
  version: number;
  /** Who created an API action (absent for app-config actions: their history is the config's). */
  createdBy?: string;
  /** When an API action was last changed (ISO 8601; absent for app-config actions). */
  updatedAt?: string;
}

/** Where an action's definition lives. */
export type ActionDefinitionSource = 'config' | 'api';

/**
 * An owner-managed action's definition as it was saved (header values as written: config
 * secrets only as `{{ secrets.NAME }}` references), and its version.
 */
export interface ActionDefinitionDocument {
  id: string;
  version: number;
  definition: JsonObject;
}

/** An action in a list, with whether the caller may run it and why not. */
export interface ActionListItem extends PublicActionDefinition {
  canRun: boolean;
  reason?: string;
}

/** A link reported by the external system. */
export interface RunLink {
  title?: string;
  url: string;
}

/**
 * One step of a run, as reported by the external system. Run lists leave the log lines out
 * (`logCount` says how many there are); one run (`GET /runs/:id`) has them.
 */
export interface RunStep {
  title: string;
  status: RunStatus;
  startedAt: string;
  completedAt?: string | null;
  logs?: string[];
  logCount: number;
  /** Earlier log lines dropped to keep the run within its caps; absent when none were. */
  droppedLogLines?: number;
}

/** One approver's decision on a run. */
export interface RunDecision {
  /** Entity ref of the user who decided. */
  by: string;
  decision: 'approved' | 'rejected';
  comment: string | null;
  at: string;
}

/**
 * The built-in approval a run waits for or went through: who may decide, how many distinct
 * approvals it needs, the decisions so far, and whether the caller may decide now.
 */
export interface RunApproval {
  required: number;
  /** User and group refs. */
  approvers: string[];
  allowSelfApproval: boolean;
  /** When a run still waiting is rejected ("approval expired"). */
  expiresAt: string;
  decisions: RunDecision[];
  canDecide: boolean;
}

/** A message a run showed, and when it arrived. */
export interface RunMessage {
  text: string;
  at: string;
}

/** A run of an action as the API returns it. */
export interface Run {
  id: string;
  actionId: string;
  actionName: string;
  actionType: ActionType;
  entityRef: string | null;
  initiatedBy: string;
  status: RunStatus;
  /** The latest message the external system reported. */
  message: string | null;
  /** The messages it reported, oldest first, each when it arrived (the last 20). */
  messages: RunMessage[];
  error: string | null;
  startedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
  inputs: JsonObject;
  steps: RunStep[];
  links: RunLink[];
  rerunOf: string | null;
  canCancel: boolean;
  canRerun: boolean;
  /** The built-in approval of the run; null when its action needs none. */
  approval: RunApproval | null;
  /**
   * How the run was started: `api` (the REST API, which the plugin's pages use) or
   * `actions-registry` (an agent acting for the user through Backstage's actions registry).
   */
  initiatedVia: RunInitiatedVia;
  /** The version of the action's definition the run was started with. */
  actionVersion: number;
  /** A test-fire by an owner or admin (`POST /actions/:id/test`); lists leave these out unless asked. */
  test: boolean;
}

/** How a run was started. */
export type RunInitiatedVia = 'api' | 'actions-registry';

/** A page of runs, newest first. */
export interface RunList {
  items: Run[];
  nextCursor?: string;
}

/** The body of `POST /report` (and of a webhook's immediate answer). */
export interface StatusReport {
  status: RunStatus;
  startedAt: string;
  completedAt?: string | null;
  message?: string | null;
  links?: RunLink[];
  steps?: Array<{
    title: string;
    status: RunStatus;
    startedAt: string;
    completedAt?: string | null;
    logs?: string[];
  }>;
}

/** Body of `POST /actions/:id/runs`. */
export interface CreateRunRequest {
  entityRef?: string;
  inputs?: { [name: string]: JsonValue };
}

/** The signals channel on which run changes are announced (ids and statuses only). */
export const RUN_SIGNAL_CHANNEL = 'self-service-actions:run';

/**
 * The message of a run change signal: the runs that changed in the last moment (a few
 * hundred milliseconds), each with its latest status. The browser re-reads the runs it shows.
 */
export type RunChangedSignal = { runs: Array<{ runId: string; status: RunStatus }> };
