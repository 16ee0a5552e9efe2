import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  DispatchStatus,
  RunRecord,
  RunStore,
  RunUpdate,
  RunFilter,
  RunVisibility,
  StepRecord,
  RunChanges,
  RunQuery,
} from './types';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-self-service-actions-backend',
  'migrations',
);

/** Lost compare-and-set races before an update takes the row lock instead (PostgreSQL). */
const OPTIMISTIC_ATTEMPTS = 3;

/**
 * A run's steps as one JSON array column, in position order, so a run and its steps are read
 * in one statement (one round trip to the database instead of two).
 */
const POSTGRES_STEPS_JSON = `coalesce((select json_agg(json_build_object('title', s.title,
  'status', s.status, 'started_at', s.started_at, 'completed_at', s.completed_at, 'logs', s.logs)
  order by s.position) from run_steps s where s.run_id = runs.id), '[]'::json) as steps_json`;
const SQLITE_STEPS_JSON = `coalesce((select json_group_array(json_object('title', s.title,
  'status', s.status, 'started_at', s.started_at, 'completed_at', s.completed_at, 'logs', s.logs)
  order by s.position) from run_steps s where s.run_id = runs.id), '[]') as steps_json`;

/**
 * PostgreSQL: writes a run's new state only if its revision is still the one it was decided
 * on (bumping it), and upserts the steps only if that update matched, in one statement.
 * Answers matched = 1 when written, 0 when the run moved on meanwhile.
 */
const POSTGRES_COMPARE_AND_SET = `with updated as (
    update runs set status = ?, message = ?, error = ?, links = ?, started_at = ?,
      completed_at = ?, updated_at = ?, expires_at = ?, last_report_at = ?, dispatch_status = ?,
      revision = revision + 1
    where id = ? and revision = ?
    returning id
  ),
  upserted as (
    insert into run_steps (run_id, title, position, status, started_at, completed_at, logs)
    select updated.id, s.title, s.position, s.status, s.started_at, s.completed_at, s.logs
    from updated, json_to_recordset(?::json) as s(title text, position integer, status text,
      started_at timestamptz, completed_at timestamptz, logs text)
    on conflict (run_id, title) do update set status = excluded.status,
      started_at = excluded.started_at, completed_at = excluded.completed_at, logs = excluded.logs
  )
  select count(*)::integer as matched from updated`;

/** A run, named by its id or by the hash of one of its report tokens. */
type RunTarget = { id: string } | { tokenHash: string };

/** Statuses the expiry sweep may still terminate. */
const OPEN_STATUSES = ['inprogress', 'pending-approval'];

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
  error: string | null;
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
}

/** A run row read with its steps aggregated into one JSON column (see POSTGRES_STEPS_JSON). */
type DbRunRowWithSteps = DbRunRow & { steps_json: string | Array<Omit<DbStepRow, 'run_id'>> };

/** A row of the run_steps table. */
export interface DbStepRow {
  run_id: string;
  position: number;
  title: string;
  status: string;
  started_at: Date | number | string;
  completed_at: Date | number | string | null;
  logs: string;
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

function toStep(row: Omit<DbStepRow, 'run_id'>): StepRecord {
  return {
    title: row.title,
    status: row.status as StepRecord['status'],
    startedAt: toDate(row.started_at),
    completedAt: toDate(row.completed_at),
    logs: JSON.parse(row.logs),
  };
}

function toRecord(row: DbRunRowWithSteps): RunRecord {
  // PostgreSQL parses json columns; SQLite returns the text.
  const steps = typeof row.steps_json === 'string' ? JSON.parse(row.steps_json) : row.steps_json;
  return {
    id: row.id,
    actionId: row.action_id,
    actionName: row.action_name,
    actionType: row.action_type as RunRecord['actionType'],
    actionSnapshot: JSON.parse(row.action_snapshot),
    entityRef: row.entity_ref,
    initiatedBy: row.initiated_by,
    status: row.status as RunRecord['status'],
    message: row.message,
    error: row.error,
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
    steps: steps.map(toStep),
  };
}

function toRowChanges(changes: RunChanges): Partial<DbRunRow> {
  const row: Partial<DbRunRow> = {};
  if (changes.status !== undefined) row.status = changes.status;
  if (changes.message !== undefined) row.message = changes.message;
  if (changes.error !== undefined) row.error = changes.error;
  if (changes.links !== undefined) row.links = JSON.stringify(changes.links);
  if (changes.startedAt !== undefined) row.started_at = changes.startedAt;
  if (changes.completedAt !== undefined) row.completed_at = changes.completedAt;
  if (changes.updatedAt !== undefined) row.updated_at = changes.updatedAt;
  if (changes.expiresAt !== undefined) row.expires_at = changes.expiresAt;
  if (changes.lastReportAt !== undefined) row.last_report_at = changes.lastReportAt;
  if (changes.dispatchStatus !== undefined) row.dispatch_status = changes.dispatchStatus;
  return row;
}

/** Adds permission criteria (all of, any of, not, column in values) to a query as SQL. */
function whereCriteria(builder: Knex.QueryBuilder, criteria: PermissionCriteria<RunQuery>): void {
  if (isAndCriteria(criteria)) {
    builder.where(all => {
      for (const child of criteria.allOf) all.andWhere(b => whereCriteria(b, child));
    });
  } else if (isOrCriteria(criteria)) {
    builder.where(any => {
      for (const child of criteria.anyOf) any.orWhere(b => whereCriteria(b, child));
    });
  } else if (isNotCriteria(criteria)) {
    builder.whereNot(b => whereCriteria(b, criteria.not));
  } else {
    builder.whereIn(criteria.column, criteria.values);
  }
}

function encodeCursor(run: RunRecord): string {
  return Buffer.from(JSON.stringify([run.createdAt.getTime(), run.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [millis, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof millis === 'number' && Number.isFinite(millis) && typeof id === 'string') {
      return { createdAt: new Date(millis), id };
    }
  } catch {
    // fall through
  }
  throw new InputError('Invalid cursor');
}

/** Stores runs with Knex in the plugin's own database (SQLite or PostgreSQL). */
export class DatabaseRunStore implements RunStore {
  /** Connects and migrates (unless migrations are skipped in config). */
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseRunStore> {
    const { database } = options;
    const client = await database.getClient();
    if (!options.skipMigrations && !database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseRunStore(client);
  }

  private readonly isPostgres: boolean;

  private constructor(private readonly db: Knex) {
    this.isPostgres = db.client.config.client === 'pg';
  }

  /** Reads a run, by id or by the hash of one of its report tokens, with its steps. */
  private async readRun(
    db: Knex | Knex.Transaction,
    target: RunTarget,
  ): Promise<{ record: RunRecord; revision: number } | undefined> {
    // Plain SQL: this runs for every report, and building it with the query builder each time
    // costs more than the statement itself.
    const steps = this.isPostgres ? POSTGRES_STEPS_JSON : SQLITE_STEPS_JSON;
    const from =
      'id' in target
        ? 'from runs where runs.id = ?'
        : 'from run_tokens join runs on runs.id = run_tokens.run_id where run_tokens.token_hash = ?';
    const query = db.raw(`select runs.*, ${steps} ${from}`, [
      'id' in target ? target.id : target.tokenHash,
    ]);
    if (this.isPostgres) {
      // A named statement is parsed and planned once per connection, not at every report.
      query.options({ name: `ssa_read_run_by_${'id' in target ? 'id' : 'token'}` });
    }
    const result = await query;
    const row: DbRunRowWithSteps | undefined = (this.isPostgres ? result.rows : result)[0];
    return row ? { record: toRecord(row), revision: Number(row.revision) } : undefined;
  }

  async insertRun(run: Omit<RunRecord, 'steps'>, tokenHash: string): Promise<void> {
    const row = {
      id: run.id,
      action_id: run.actionId,
      action_name: run.actionName,
      action_type: run.actionType,
      action_snapshot: JSON.stringify(run.actionSnapshot),
      entity_ref: run.entityRef,
      initiated_by: run.initiatedBy,
      status: run.status,
      message: run.message,
      error: run.error,
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
    };
    if (this.isPostgres) {
      // The run and its token in one named statement: atomic without a transaction's round
      // trips, parsed once per connection.
      const columns = Object.keys(row);
      await this.db
        .raw(
          `with inserted as (insert into runs (${columns.join(', ')})
             values (${columns.map(() => '?').join(', ')}) returning id)
           insert into run_tokens (token_hash, run_id, created_at) select ?, id, ? from inserted`,
          [...Object.values(row), tokenHash, run.createdAt],
        )
        .options({ name: 'ssa_insert_run' });
      return;
    }
    await this.db.transaction(async tx => {
      await tx<DbRunRow>('runs').insert(row);
      await tx('run_tokens').insert({ token_hash: tokenHash, run_id: run.id, created_at: run.createdAt });
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return (await this.readRun(this.db, { id }))?.record;
  }

  async setDispatchStatus(id: string, dispatchStatus: DispatchStatus): Promise<RunRecord> {
    const bindings = [dispatchStatus, id];
    let row: DbRunRowWithSteps | undefined;
    if (this.isPostgres) {
      // Written and read back in one statement. RETURNING gives the row as updated; the steps
      // are those committed when the statement started (a report racing with the webhook's
      // answer may be missing from this copy, never from the database).
      const result = await this.db
        .raw(
          `update runs set dispatch_status = ?, revision = revision + 1 where id = ?
           returning runs.*, ${POSTGRES_STEPS_JSON}`,
          bindings,
        )
        .options({ name: 'ssa_set_dispatch_status' });
      row = result.rows[0];
    } else {
      await this.db.raw('update runs set dispatch_status = ?, revision = revision + 1 where id = ?', bindings);
      return this.getRunOrThrow(id);
    }
    if (!row) {
      throw new NotFoundError(`Run ${id} not found`);
    }
    return toRecord(row);
  }

  private async getRunOrThrow(id: string): Promise<RunRecord> {
    const run = await this.getRun(id);
    if (!run) {
      throw new NotFoundError(`Run ${id} not found`);
    }
    return run;
  }

  async findRunIdByTokenHash(tokenHash: string): Promise<string | undefined> {
    return this.runIdOfToken(this.db, tokenHash);
  }

  private async runIdOfToken(
    db: Knex | Knex.Transaction,
    tokenHash: string,
  ): Promise<string | undefined> {
    const row = await db('run_tokens').where({ token_hash: tokenHash }).first('run_id');
    return row?.run_id;
  }

  async updateRun(
    id: string,
    decide: (current: RunRecord) => RunUpdate | undefined,
  ): Promise<RunRecord> {
    const updated = await this.update({ id }, decide);
    if (!updated) {
      throw new NotFoundError(`Run ${id} not found`);
    }
    return updated;
  }

  async updateRunByTokenHash(
    tokenHash: string,
    decide: (current: RunRecord) => RunUpdate | undefined,
  ): Promise<RunRecord | undefined> {
    return this.update({ tokenHash }, decide);
  }

  /**
   * Read, decide, write, so that concurrent updates of one run (reports on different steps,
   * the same step, status changes, a cancel, the sweep) never lose one another's changes and
   * a final run stays final: every decision is made on the state it replaces.
   *
   * PostgreSQL: compare-and-set on the run's revision. The run and its steps are read in one
   * statement without a lock; the run update (`where revision = <read>`, which bumps it) and
   * the step upsert go in one statement whose upsert runs only if the update matched. The
   * update takes the row lock, so writers of one run queue on it, and a writer that lost the
   * race matches no row, changes nothing and decides again on the new state. Two round trips
   * and no transaction in the common case, where reports of one run do not collide. After
   * OPTIMISTIC_ATTEMPTS lost races (a run hammered by many writers at once) it falls back to
   * the locking path below, which always makes progress.
   *
   * SQLite (and the fallback): a transaction that locks the run (FOR UPDATE; SQLite runs one
   * writing transaction at a time anyway), reads it, decides and writes.
   */
  private async update(
    target: RunTarget,
    decide: (current: RunRecord) => RunUpdate | undefined,
  ): Promise<RunRecord | undefined> {
    let id = 'id' in target ? target.id : undefined;
    if (this.isPostgres) {
      for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
        const read = await this.readRun(this.db, id ? { id } : target);
        if (!read) {
          return undefined;
        }
        id = read.record.id;
        const update = decide(read.record);
        if (!update) {
          return read.record;
        }
        const written = await this.writeIfUnchanged(read.record, read.revision, update);
        if (written) {
          return written;
        }
      }
    }
    return this.db.transaction(async tx => {
      if (!id) {
        // In the transaction: on SQLite it holds the only connection.
        id = await this.runIdOfToken(tx, (target as { tokenHash: string }).tokenHash);
        if (!id) {
          return undefined;
        }
      }
      // Lock first, then read in a second statement: a statement that waited for the lock
      // sees the newest version of the locked row but reads other tables (the steps) as they
      // were when it started, which would miss the steps of the writer it waited for.
      await tx<DbRunRow>('runs').where({ id }).forUpdate().select('id');
      const read = await this.readRun(tx, { id });
      if (!read) {
        return undefined;
      }
      const update = decide(read.record);
      if (!update) {
        return read.record;
      }
      await tx<DbRunRow>('runs')
        .where({ id })
        .update({ ...toRowChanges(update.run), revision: read.revision + 1 });
      const { steps, rows } = this.mergeSteps(read.record, update);
      if (rows.length > 0) {
        // One statement for every step of the report; a known step keeps its position.
        await tx<DbStepRow>('run_steps')
          .insert(rows)
          .onConflict(['run_id', 'title'])
          .merge(['status', 'started_at', 'completed_at', 'logs']);
      }
      return { ...read.record, ...update.run, steps };
    });
  }

  /** PostgreSQL: writes an update made on revision `revision`, unless the run moved on since. */
  private async writeIfUnchanged(
    current: RunRecord,
    revision: number,
    update: RunUpdate,
  ): Promise<RunRecord | undefined> {
    const { steps, rows } = this.mergeSteps(current, update);
    const next = { ...current, ...update.run };
    const result = await this.db.raw(POSTGRES_COMPARE_AND_SET, [
      next.status,
      next.message,
      next.error,
      JSON.stringify(next.links),
      next.startedAt,
      next.completedAt,
      next.updatedAt,
      next.expiresAt,
      next.lastReportAt,
      next.dispatchStatus,
      current.id,
      revision,
      JSON.stringify(rows),
    ]).options({ name: 'ssa_compare_and_set' });
    if (result.rows[0].matched !== 1) {
      return undefined;
    }
    // The new state is known without reading it back.
    return { ...current, ...update.run, steps };
  }

  /** The run's steps after an update, and the step rows to upsert (new steps go last). */
  private mergeSteps(current: RunRecord, update: RunUpdate) {
    const steps = [...current.steps];
    const positions = new Map(current.steps.map((step, index) => [step.title, index]));
    const rows = (update.steps ?? []).map(step => {
      let position = positions.get(step.title);
      if (position === undefined) {
        position = steps.length;
        positions.set(step.title, position);
      }
      steps[position] = step;
      return {
        run_id: current.id,
        title: step.title,
        position,
        status: step.status,
        started_at: step.startedAt,
        completed_at: step.completedAt,
        logs: JSON.stringify(step.logs),
      };
    });
    return { steps, rows };
  }

  async listRuns(options: {
    filter: RunFilter;
    visibility: RunVisibility;
    permissionCriteria?: PermissionCriteria<RunQuery>;
    limit: number;
    cursor?: string;
  }): Promise<{ runs: RunRecord[]; nextCursor?: string }> {
    const { filter, visibility, limit, permissionCriteria } = options;
    const query = this.db<DbRunRowWithSteps>('runs').select(
      'runs.*',
      this.db.raw(this.isPostgres ? POSTGRES_STEPS_JSON : SQLITE_STEPS_JSON),
    );
    if (filter.actionId) query.where('action_id', filter.actionId);
    if (filter.entityRef) query.where('entity_ref', filter.entityRef);
    if (filter.status) query.where('status', filter.status);
    if (filter.initiatedBy) query.where('initiated_by', filter.initiatedBy);
    if (!visibility.all) {
      const { initiatedBy, actionIds } = visibility;
      query.where(visible => {
        visible.where('initiated_by', initiatedBy);
        if (actionIds.length > 0) {
          visible.orWhereIn('action_id', actionIds);
        }
      });
    }
    if (permissionCriteria) {
      query.where(allowed => whereCriteria(allowed, permissionCriteria));
    }
    if (options.cursor) {
      const after = decodeCursor(options.cursor);
      query.where(older =>
        older
          .where('created_at', '<', after.createdAt)
          .orWhere(sameTime =>
            sameTime.where('created_at', '=', after.createdAt).andWhere('id', '<', after.id),
          ),
      );
    }
    const rows = await query
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    const runs = rows.slice(0, limit).map(toRecord);
    return {
      runs,
      nextCursor: rows.length > limit ? encodeCursor(runs[runs.length - 1]) : undefined,
    };
  }

  async claimUndispatched(now: Date, leaseUntil: Date, limit: number): Promise<string[]> {
    const candidates = await this.db<DbRunRow>('runs')
      .where({ dispatch_status: 'pending', status: 'inprogress' })
      .where('dispatch_lease_until', '<', now)
      .orderBy('dispatch_lease_until')
      .limit(limit)
      .select('id');
    const claimed: string[] = [];
    for (const { id } of candidates) {
      // Claim by conditional update, as the scaffolder claims tasks: only one instance sees
      // the lease still expired, so only one sends.
      const updated = await this.db<DbRunRow>('runs')
        .where({ id, dispatch_status: 'pending', status: 'inprogress' })
        .where('dispatch_lease_until', '<', now)
        .update({
          dispatch_lease_until: leaseUntil,
          dispatch_attempts: this.db.raw('dispatch_attempts + 1') as unknown as number,
          revision: this.db.raw('revision + 1') as unknown as number,
        });
      if (updated === 1) {
        claimed.push(id);
      }
    }
    return claimed;
  }

  async addToken(runId: string, tokenHash: string, now: Date): Promise<void> {
    await this.db('run_tokens').insert({ token_hash: tokenHash, run_id: runId, created_at: now });
  }

  async expireRuns(now: Date, batchSize: number, message: string): Promise<string[]> {
    // One short statement per batch: no transaction is held while anything slow happens.
    const batch = this.db<DbRunRow>('runs')
      .whereIn('status', OPEN_STATUSES)
      .where('expires_at', '<', now)
      .orderBy('expires_at')
      .limit(batchSize)
      .select('id');
    const changes = {
      status: 'terminated',
      message,
      completed_at: now,
      updated_at: now,
      // Every write bumps the revision, so a report decided on the open run is retried.
      revision: this.db.raw('revision + 1') as unknown as number,
    };
    if (this.isPostgres) {
      // The batch is selected once (an InitPlan) and locked, SKIP LOCKED leaving runs a
      // report holds right now to the next batch; the update then finds the locked runs by
      // primary key. Written so that no plan depends on statistics: many runs having just gone
      // stale is exactly when statistics are stale, and an IN (subquery) or a join was then
      // planned as a loop over every open run (minutes for 100 000 runs). No ORDER BY: which
      // stale runs go first does not matter, and without it the batch query stops early.
      const result = await this.db.raw(
        `update runs set status = ?, message = ?, completed_at = ?, updated_at = ?,
           revision = revision + 1
         where id = any(array(select id from runs where status in (?, ?) and expires_at < ?
           limit ? for update skip locked))
         returning id`,
        [changes.status, changes.message, now, now, ...OPEN_STATUSES, now, batchSize],
      );
      return result.rows.map((row: { id: string }) => row.id);
    }
    const expired = await this.db<DbRunRow>('runs')
      .whereIn('id', batch)
      .whereIn('status', OPEN_STATUSES)
      .update(changes, ['id']);
    return (expired as unknown as Array<{ id: string } | string>).map(row =>
      typeof row === 'string' ? row : row.id,
    );
  }
}
