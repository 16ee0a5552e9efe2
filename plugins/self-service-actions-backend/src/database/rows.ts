import {
  DispatchStatus,
  RunChanges,
  RunMessageRecord,
  RunRecord,
  StepRecord,
  StoredApproval,
} from './RunStore';

/** A row of the runs table. */
export interface DbRunRow {
  id: string;
  action_id: string;
  action_name: string;
  action_type: string;
  action_snapshot: string;
  entity_ref: string | null;
  initiated_by: string;
  status: string;
  message: string | null;
  /** JSON of [{ text, at }] (ISO times). */
  messages: string;
  error: string | null;
  error_detail: string | null;
  inputs: string;
  links: string;
  rerun_of: string | null;
  started_at: Date | number | string | null;
  completed_at: Date | number | string | null;
  created_at: Date | number | string;
  updated_at: Date | number | string;
  expires_at: Date | number | string;
  last_report_at: Date | number | string | null;
  dispatch_status: string;
  dispatch_lease_until: Date | number | string | null;
  dispatch_attempts: number;
  has_secret_inputs: boolean | number;
  revision: number;
  /** JSON of StoredApproval (decision times as ISO text), or null. */
  approval: string | null;
  initiated_via: string;
  event_sequence: number;
  test: boolean | number;
}

/** A run row read with its steps aggregated into one JSON column (see stepsJson). */
export type DbRunRowWithSteps = DbRunRow & { steps_json: string | StepJson[] };

/** A row of the run_steps table. */
export interface DbStepRow {
  run_id: string;
  position: number;
  title: string;
  status: string;
  started_at: Date | number | string;
  completed_at: Date | number | string | null;
  logs: string;
  dropped_log_lines: number;
}

/** The messages column's text. */
export function toMessagesJson(messages: RunMessageRecord[]): string {
  return JSON.stringify(messages);
}

function fromMessagesJson(text: string | null | undefined): RunMessageRecord[] {
  const messages: Array<{ text: string; at: string }> = text ? JSON.parse(text) : [];
  return messages.map(message => ({ text: message.text, at: new Date(message.at) }));
}

/** The approval column's text. */
export function toApprovalJson(approval: StoredApproval | null): string | null {
  return approval ? JSON.stringify(approval) : null;
}

function fromApprovalJson(text: string | null | undefined): StoredApproval | null {
  if (!text) {
    return null;
  }
  const approval = JSON.parse(text) as StoredApproval;
  return {
    ...approval,
    decisions: approval.decisions.map(decision => ({ ...decision, at: new Date(decision.at) })),
  };
}

/** Characters no database text column holds: NUL (PostgreSQL) and lone UTF-16 surrogates. */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text as both databases hold it: U+FFFD for each character neither can. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** A JSON value with every string (keys too) made storable. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [storableText(key), storableJson(item)]),
    ) as T;
  }
  return value;
}

/** A time both databases hold: years 1 to 9999 in UTC. */
export function isStorableTime(millis: number): boolean {
  if (!Number.isFinite(millis)) {
    return false;
  }
  const year = new Date(millis).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

// PostgreSQL returns Date objects, SQLite the numbers knex wrote (milliseconds).
function toDate(value: Date | number | string): Date;
function toDate(value: Date | number | string | null): Date | null;
function toDate(value: Date | number | string | null): Date | null {
  if (value === null) {
    return null;
  }
  return value instanceof Date ? value : new Date(value);
}

/** A step in a run's steps_json: with its logs, or (read for a list) with their count. */
type StepJson = Omit<DbStepRow, 'run_id' | 'logs'> & { logs?: string; log_count?: number };

function toStep(row: StepJson): StepRecord {
  const step: StepRecord = {
    title: row.title,
    status: row.status as StepRecord['status'],
    startedAt: toDate(row.started_at),
    completedAt: toDate(row.completed_at),
    logs: row.logs === undefined ? [] : JSON.parse(row.logs),
  };
  const dropped = Number(row.dropped_log_lines ?? 0);
  if (dropped > 0) {
    step.droppedLogLines = dropped;
  }
  return row.log_count === undefined ? step : { ...step, logCount: Number(row.log_count) };
}

/** The run a row (with its steps) holds. */
export function toRecord(row: DbRunRowWithSteps): RunRecord {
  // PostgreSQL parses json columns; SQLite returns the text.
  const steps = typeof row.steps_json === 'string' ? JSON.parse(row.steps_json) : row.steps_json;
  return {
    id: row.id,
    actionId: row.action_id,
    actionName: row.action_name,
    actionType: row.action_type as RunRecord['actionType'],
    // Runs from before versions were kept ran an app-config action's only known version.
    actionSnapshot: { source: 'config', version: 1, ...JSON.parse(row.action_snapshot) },
    entityRef: row.entity_ref,
    initiatedBy: row.initiated_by,
    status: row.status as RunRecord['status'],
    message: row.message,
    messages: fromMessagesJson(row.messages),
    error: row.error,
    errorDetail: row.error_detail,
    inputs: JSON.parse(row.inputs),
    links: JSON.parse(row.links),
    rerunOf: row.rerun_of,
    startedAt: toDate(row.started_at),
    completedAt: toDate(row.completed_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    expiresAt: toDate(row.expires_at),
    lastReportAt: toDate(row.last_report_at),
    dispatchStatus: row.dispatch_status as RunRecord['dispatchStatus'],
    dispatchLeaseUntil: toDate(row.dispatch_lease_until),
    dispatchAttempts: Number(row.dispatch_attempts),
    hasSecretInputs: Boolean(row.has_secret_inputs),
    approval: fromApprovalJson(row.approval),
    initiatedVia: row.initiated_via as RunRecord['initiatedVia'],
    test: Boolean(row.test),
    steps: steps.map(toStep),
    // Absent rather than 0 when the run has no events (as a new record has none).
    ...(Number(row.event_sequence ?? 0) > 0 ? { eventSequence: Number(row.event_sequence) } : {}),
  };
}


/** Columns written when a run is stored (the others keep their defaults). */
export const INSERTED_RUN_COLUMNS = [
  'id', 'action_id', 'action_name', 'action_type', 'action_snapshot', 'entity_ref',
  'initiated_by', 'status', 'message', 'messages', 'error', 'error_detail', 'inputs', 'links', 'rerun_of', 'started_at',
  'completed_at', 'created_at', 'updated_at', 'expires_at', 'last_report_at', 'dispatch_status',
  'dispatch_lease_until', 'dispatch_attempts', 'has_secret_inputs', 'revision', 'approval',
  'initiated_via', 'event_sequence', 'test',
] as const;

/** The columns of a new run's row. */
export type InsertedRun = Pick<DbRunRow, (typeof INSERTED_RUN_COLUMNS)[number]>;

/** A step row as written (dates as Date). */
export type StepRowInput = Omit<DbStepRow, 'started_at' | 'completed_at'> & {
  started_at: Date;
  completed_at: Date | null;
};

/** The row of a new run (revision 0). */
export function toInsertedRow(run: Omit<RunRecord, 'steps'>): InsertedRun {
  return {
    id: run.id,
    action_id: run.actionId,
    action_name: run.actionName,
    action_type: run.actionType,
    action_snapshot: JSON.stringify(run.actionSnapshot),
    entity_ref: run.entityRef,
    initiated_by: run.initiatedBy,
    status: run.status,
    message: run.message,
    messages: toMessagesJson(run.messages),
    error: run.error,
    error_detail: run.errorDetail,
    inputs: JSON.stringify(run.inputs),
    links: JSON.stringify(run.links),
    rerun_of: run.rerunOf,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    expires_at: run.expiresAt,
    last_report_at: run.lastReportAt,
    dispatch_status: run.dispatchStatus,
    dispatch_lease_until: run.dispatchLeaseUntil,
    dispatch_attempts: run.dispatchAttempts,
    has_secret_inputs: run.hasSecretInputs,
    revision: 0,
    approval: toApprovalJson(run.approval),
    initiated_via: run.initiatedVia,
    event_sequence: run.eventSequence ?? 0,
    test: run.test,
  };
}

/** The columns a run's changes write. */
export function toRowChanges(changes: RunChanges): Partial<DbRunRow> {
  const row: Partial<DbRunRow> = {};
  if (changes.status !== undefined) row.status = changes.status;
  if (changes.message !== undefined) row.message = changes.message;
  if (changes.messages !== undefined) row.messages = toMessagesJson(changes.messages);
  if (changes.error !== undefined) row.error = changes.error;
  if (changes.errorDetail !== undefined) row.error_detail = changes.errorDetail;
  if (changes.links !== undefined) row.links = JSON.stringify(changes.links);
  if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
  if (changes.completedAt !== undefined) row.completed_at = changes.completedAt;
  if (changes.updatedAt !== undefined) row.updated_at = changes.updatedAt;
  if (changes.expiresAt !== undefined) row.expires_at = changes.expiresAt;
  if (changes.lastReportAt !== undefined) row.last_report_at = changes.lastReportAt;
  if (changes.dispatchStatus !== undefined) row.dispatch_status = changes.dispatchStatus;
  if (changes.dispatchLeaseUntil !== undefined) row.dispatch_lease_until = changes.dispatchLeaseUntil;
  if (changes.dispatchAttempts !== undefined) row.dispatch_attempts = changes.dispatchAttempts;
  if (changes.approval !== undefined) row.approval = toApprovalJson(changes.approval);
  return row;
}

/** What became of a run's invocation, as one element of a batched statement's input. */
export type DispatchOutcome = { id: string; dispatchStatus: DispatchStatus };
