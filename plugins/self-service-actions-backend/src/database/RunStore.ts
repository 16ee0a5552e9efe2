import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  ActionType,
  JsonObject,
  PublicActionDefinition,
  RunInitiatedVia,
  RunLink,
  RunStatus,
} from '@self-service-actions/plugin-self-service-actions-common';

/**
 * What became of a run's invocation: `held` while the run waits for approval (nothing is
 * sent and no token exists), `pending` while it is to be sent under a lease.
 */
export type DispatchStatus = 'held' | 'pending' | 'delivered' | 'timed-out' | 'failed';

/** The built-in approval of a run, as stored: fixed when the run was created, plus decisions. */
export interface StoredApproval {
  /** Normalised user and group refs who may decide. */
  approvers: string[];
  required: number;
  allowSelfApproval: boolean;
  decisions: Array<{
    by: string;
    decision: 'approved' | 'rejected';
    comment: string | null;
    at: Date;
  }>;
}

/** One message a run showed, and when. */
export interface RunMessageRecord {
  text: string;
  at: Date;
}

/** A step as stored. */
export interface StepRecord {
  title: string;
  status: RunStatus;
  startedAt: Date;
  completedAt: Date | null;
  /** Empty when the run was read for a list (see logCount). */
  logs: string[];
  /** How many log lines the step holds, when its logs were not read (run lists). */
  logCount?: number;
  /** Earlier log lines of the step dropped by the caps (per run in bytes, per step in lines); 0 when absent. */
  droppedLogLines?: number;
}

/** A run as stored, with its steps in order of first appearance. */
export interface RunRecord {
  id: string;
  actionId: string;
  actionName: string;
  actionType: ActionType;
  actionSnapshot: PublicActionDefinition;
  entityRef: string | null;
  initiatedBy: string;
  status: RunStatus;
  message: string | null;
  /** The messages the run showed, oldest first (the last MESSAGE_HISTORY_LENGTH). */
  messages: RunMessageRecord[];
  error: string | null;
  /** Shown after `error` only to those who may see where the action sends (a transport error's text). */
  errorDetail: string | null;
  inputs: JsonObject;
  links: RunLink[];
  rerunOf: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  lastReportAt: Date | null;
  dispatchStatus: DispatchStatus;
  /** While pending, no other instance sends the webhook before this. */
  dispatchLeaseUntil: Date | null;
  dispatchAttempts: number;
  /** Secret inputs were given: never stored, so the invocation cannot be rebuilt. */
  hasSecretInputs: boolean;
  /** Null when the action needs no approval. */
  approval: StoredApproval | null;
  /** How the run was started: the REST API, or an agent through the actions registry. */
  initiatedVia: RunInitiatedVia;
  /** A test-fire by an owner or admin (POST /actions/:id/test), left out of lists by default. */
  test: boolean;
  steps: StepRecord[];
  /** Lifecycle events written for the run so far (0 or absent: none). */
  eventSequence?: number;
}

/** The fields of a run that change after it is created. */
export type RunChanges = Partial<
  Pick<
    RunRecord,
    | 'status'
    | 'message'
    | 'messages'
    | 'error'
    | 'errorDetail'
    | 'links'
    | 'startedAt'
    | 'completedAt'
    | 'updatedAt'
    | 'expiresAt'
    | 'lastReportAt'
    | 'dispatchStatus'
    | 'dispatchLeaseUntil'
    | 'dispatchAttempts'
    | 'approval'
  >
>;

/** What a decision made on the current state of a run writes back. */
export interface RunUpdate {
  run: RunChanges;
  /** New or changed steps; steps not listed stay as they are. */
  steps?: StepRecord[];
}

/** Which runs a caller may see: everything, or their own plus all runs of some actions. */
export type RunVisibility =
  | { all: true }
  | {
      all: false;
      initiatedBy: string;
      /** Actions whose every run the caller sees. */
      actionIds: string[];
      /** Actions whose runs held for approval the caller sees (as an approver). */
      approvedActionIds: string[];
    };

/** A permission condition on runs in query form: a column and the values it may take. */
export type RunPermissionQuery = {
  column: 'initiated_by' | 'action_type' | 'action_id';
  values: string[];
};

/** Filters of the run list. */
export interface RunFilter {
  actionId?: string;
  entityRef?: string;
  status?: RunStatus;
  initiatedBy?: string;
  /** Only runs held for approval; of these actions only, when given. */
  awaitingApproval?: { actionIds?: string[] };
  /** Include test runs (left out by default). */
  includeTests?: boolean;
}

/** Which stale runs an expiry batch ends, and how. */
export interface ExpireOptions {
  now: Date;
  batchSize: number;
  /** Runs in these statuses whose deadline passed... */
  statuses: readonly RunStatus[];
  /** ...and whose invocation is in one of these. */
  dispatchStatuses: readonly DispatchStatus[];
  /** What they become. */
  status: RunStatus;
  message: string;
  /** What their steps still open (in progress, pending approval) become. */
  stepStatus: RunStatus;
}

/** What a run list asks for. */
export interface RunListOptions {
  filter: RunFilter;
  visibility: RunVisibility;
  /** Conditions of a permission policy, applied in the same query. */
  permissionCriteria?: PermissionCriteria<RunPermissionQuery>;
  limit: number;
  cursor?: string;
  /** By creation time: newest first (default) or oldest first. */
  order?: RunListOrder;
}

/** The order of a run list. */
export type RunListOrder = 'newest' | 'oldest';

/** How an update is queued. */
export interface UpdateOptions {
  /**
   * False for an update that must not be refused when the database is busy (see
   * `selfServiceActions.limits.maxQueuedDatabaseRequests`): the outcome of a webhook already
   * sent. Requests from outside (reports, cancels) may be refused with 503 and retried.
   */
  mayShed?: boolean;
}

/** Storage of runs, steps and report tokens: SQL only, no lifecycle rule. */
export interface RunStore {
  /**
   * Stores a new run (no steps) and the hash of its first report token (none for a run held
   * for approval: its token is minted when it is released).
   */
  insertRun(run: Omit<RunRecord, 'steps'>, tokenHash: string | null): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /**
   * Records what became of a run's webhook, whatever the run's state (a plain fact that
   * decides nothing), and returns the run as it now is.
   */
  setDispatchStatus(id: string, dispatchStatus: DispatchStatus): Promise<RunRecord>;
  /** The run a token hash belongs to, if any. */
  findRunIdByTokenHash(tokenHash: string): Promise<string | undefined>;
  /**
   * Reads a run, lets `decide` compute what changes and writes it only if the run did not
   * change in between (else decides again on the new state), so concurrent updates of one
   * run apply one after the other. `decide` may be called more than once; it may throw to
   * change nothing; returning undefined also changes nothing. Returns the new state.
   */
  updateRun(
    id: string,
    decide: (current: RunRecord) => RunUpdate | undefined,
    options?: UpdateOptions,
  ): Promise<RunRecord>;
  /** As updateRun, for the run a report token hash belongs to; undefined if none. */
  updateRunByTokenHash(
    tokenHash: string,
    decide: (current: RunRecord) => RunUpdate | undefined,
  ): Promise<RunRecord | undefined>;
  /** A page of runs, newest first; their steps without log lines (with logCount). */
  listRuns(options: RunListOptions): Promise<{ runs: RunRecord[]; nextCursor?: string }>;
  /**
   * Claims up to `limit` runs in one of `statuses` whose invocation was stored but whose
   * sender's lease ran out (its instance died), each by a conditional update so two instances
   * never claim one run; returns the ids claimed.
   */
  claimUndispatched(options: {
    now: Date;
    leaseUntil: Date;
    limit: number;
    statuses: readonly RunStatus[];
  }): Promise<string[]>;
  /** Adds another valid report token to a run (a re-sent webhook carries a new one). */
  addToken(runId: string, tokenHash: string, now: Date): Promise<void>;
  /**
   * Writes `status` and `message` (completed now) on up to `batchSize` stale runs, and
   * `stepStatus` on their open steps, in one short statement; returns their ids.
   */
  expireRuns(options: ExpireOptions): Promise<string[]>;
}
