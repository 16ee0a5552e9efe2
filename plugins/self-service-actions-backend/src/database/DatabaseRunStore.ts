import {
  DatabaseService,
  LoggerService,
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
import { Batcher } from './Batcher';
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
 * PostgreSQL: locks, in id order, the runs of a batched statement's `input` (with a condition
 * on them). Two statements that lock several runs in different orders could deadlock (and
 * PostgreSQL would then abort one after a second); locking in one order, before writing, cannot.
 * NO KEY UPDATE, the lock an update of non-key columns takes anyway: unlike FOR UPDATE it does
 * not wait for a token being inserted for the run (whose foreign key check holds KEY SHARE).
 */
const lockInIdOrder = (condition: string) => `locked as materialized (
    select runs.id from runs join input i on i.id = runs.id ${condition}
    order by runs.id for no key update of runs
  )`;

/**
 * PostgreSQL: writes runs' new states, each only if the run's revision is still the one it was
 * decided on (bumping it), and upserts a run's steps only if its update matched: a
 * compare-and-set for many runs in one statement (one write per run: see Batcher). Answers
 * the ids of the runs written; the others moved on meanwhile.
 */
const POSTGRES_COMPARE_AND_SET_MANY = `with input as (
    select * from json_to_recordset(?::json) as i(id text, revision integer, status text,
      message text, error text, links text, started_at timestamptz, completed_at timestamptz,
      updated_at timestamptz, expires_at timestamptz, last_report_at timestamptz,
      dispatch_status text, steps json)
  ),
  ${lockInIdOrder('and runs.revision = i.revision')},
  updated as (
    update runs set status = i.status, message = i.message, error = i.error, links = i.links,
      started_at = i.started_at, completed_at = i.completed_at, updated_at = i.updated_at,
      expires_at = i.expires_at, last_report_at = i.last_report_at,
      dispatch_status = i.dispatch_status, revision = runs.revision + 1
    from input i, locked
    where runs.id = locked.id and i.id = locked.id and runs.revision = i.revision
    returning runs.id
  ),
  upserted as (
    insert into run_steps (run_id, title, position, status, started_at, completed_at, logs)
    select updated.id, s.title, s.position, s.status, s.started_at, s.completed_at, s.logs
    from updated join input i on i.id = updated.id
    cross join lateral json_to_recordset(i.steps) as s(title text, position integer,
      status text, started_at timestamptz, completed_at timestamptz, logs text)
    on conflict (run_id, title) do update set status = excluded.status,
      started_at = excluded.started_at, completed_at = excluded.completed_at, logs = excluded.logs
  )
  select id from updated`;

/** PostgreSQL: records the webhook outcome of many runs, answering them with their steps. */
const POSTGRES_SET_DISPATCH_STATUS_MANY = `with input as (
    select * from json_to_recordset(?::json) as i(id text, dispatch_status text)
  ),
  ${lockInIdOrder('')}
  update runs set dispatch_status = i.dispatch_status, revision = runs.revision + 1
  from input i, locked
  where runs.id = locked.id and i.id = locked.id
  returning runs.*, ${POSTGRES_STEPS_JSON}`;

/** Columns written when a run is stored (the others keep their defaults). */
const INSERTED_RUN_COLUMNS = [
  'id', 'action_id', 'action_name', 'action_type', 'action_snapshot', 'entity_ref',
  'initiated_by', 'status', 'message', 'error', 'inputs', 'links', 'rerun_of', 'started_at',
  'completed_at', 'created_at', 'updated_at', 'expires_at', 'last_report_at', 'dispatch_status',
  'dispatch_lease_until', 'dispatch_attempts', 'has_secret_inputs', 'revision',
] as const;

/** PostgreSQL: stores many runs and their report tokens in one statement. */
const POSTGRES_INSERT_MANY = `with inserted as (
    insert into runs (${INSERTED_RUN_COLUMNS.join(', ')})
    select ${INSERTED_RUN_COLUMNS.join(', ')} from json_populate_recordset(null::runs, ?::json)
    returning id
  )
  insert into run_tokens (token_hash, run_id, created_at)
  select t.token_hash, t.run_id, t.created_at
  from json_to_recordset(?::json) as t(token_hash text, run_id text, created_at timestamptz)
  join inserted on inserted.id = t.run_id`;

/** PostgreSQL: runs by id and by token hash, with their steps, for many readers at once. */
const POSTGRES_READ_MANY = `select runs.*, ${POSTGRES_STEPS_JSON}, null::text as read_by_token
  from runs where runs.id = any(?::text[])
  union all
  select runs.*, ${POSTGRES_STEPS_JSON}, run_tokens.token_hash as read_by_token
  from run_tokens join runs on runs.id = run_tokens.run_id where run_tokens.token_hash = any(?::text[])`;

/** How many requests one batched statement serves at most. */
const MAX_BATCH_SIZE = 200;
/**
 * Batches of one kind under way at once. Two: a batch that waits (for a run's lock, say) does
 * not hold up every request behind it, and batches stay large (more did not go faster here).
 */
const MAX_CONCURRENT_BATCHES = 2;

/** A run, named by its id or by the hash of one of its report tokens. */
type RunTarget = { id: string } | { tokenHash: string };

type InsertedRun = Pick<DbRunRow, (typeof INSERTED_RUN_COLUMNS)[number]>;

/** What became of a run's webhook. */
type DispatchOutcome = { id: string; dispatchStatus: DispatchStatus };

/** A run to store, with the hash of its first report token. */
type RunInsert = { row: InsertedRun; tokenHash: string };

/** A run's new state, to be written if the run is still at `revision`. */
type CompareAndSet = {
  next: RunRecord;
  revision: number;
  rows: Array<Omit<DbStepRow, 'started_at' | 'completed_at'> & { started_at: Date; completed_at: Date | null }>;
};

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

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * JSON for a batched statement's input. A lone UTF-16 surrogate (possible in any JS string)
 * is written as U+FFFD, as pg writes it in a single statement's parameters; as a JSON escape
 * PostgreSQL would refuse it and fail the whole batch.
 */
function toJsonInput(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === 'string' ? item.replace(LONE_SURROGATE, '\ufffd') : item,
  );
}
/** A compare-and-set as one element of POSTGRES_COMPARE_AND_SET_MANY's input. */
function compareAndSetInput({ next, revision, rows }: CompareAndSet) {
  return {
    id: next.id,
    revision,
    status: next.status,
    message: next.message,
    error: next.error,
    links: JSON.stringify(next.links),
    started_at: next.startedAt,
    completed_at: next.completedAt,
    updated_at: next.updatedAt,
    expires_at: next.expiresAt,
    last_report_at: next.lastReportAt,
    dispatch_status: next.dispatchStatus,
    steps: rows,
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
    /** Hears of batched statements that failed (see eachAloneIfRefused). */
    logger?: LoggerService;
  }): Promise<DatabaseRunStore> {
    const { database } = options;
    const client = await database.getClient();
    if (!options.skipMigrations && !database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseRunStore(client, options.logger);
  }

  private readonly isPostgres: boolean;
  /** PostgreSQL: reads of concurrent reports, one statement per batch. */
  private readonly reads: Batcher<RunTarget, DbRunRowWithSteps | undefined>;
  /** PostgreSQL: compare-and-set writes of concurrent reports, one statement per batch. */
  private readonly compareAndSets: Batcher<CompareAndSet, boolean>;
  /** PostgreSQL: new runs, one statement per batch. */
  private readonly inserts: Batcher<RunInsert, void>;
  /** PostgreSQL: webhook outcomes, one statement per batch. */
  private readonly dispatchOutcomes: Batcher<DispatchOutcome, DbRunRowWithSteps | undefined>;

  private constructor(
    private readonly db: Knex,
    private readonly logger?: LoggerService,
  ) {
    this.isPostgres = db.client.config.client === 'pg';
    const batching = { maxBatchSize: MAX_BATCH_SIZE, maxConcurrentBatches: MAX_CONCURRENT_BATCHES };
    this.reads = new Batcher({ run: targets => this.readMany(targets), ...batching });
    this.compareAndSets = new Batcher({
      run: writes => this.compareAndSetMany(writes),
      key: write => write.next.id,
      ...batching,
    });
    this.inserts = new Batcher({ run: inserts => this.insertMany(inserts), ...batching });
    this.dispatchOutcomes = new Batcher({
      run: outcomes => this.setDispatchStatusMany(outcomes),
      key: outcome => outcome.id,
      ...batching,
    });
  }

  /**
   * PostgreSQL: runs a batched statement for all its requests; if it fails, runs it for each
   * request alone, so that a request the database refuses fails only itself. Logged, as a
   * batch that keeps failing costs a statement per request.
   */
  private async eachAloneIfRefused<Item, Result>(
    kind: string,
    items: Item[],
    runBatch: (items: Item[]) => Promise<Result[]>,
  ): Promise<PromiseSettledResult<Result>[]> {
    try {
      return (await runBatch(items)).map(value => ({ status: 'fulfilled', value }));
    } catch (error) {
      if (items.length === 1) {
        return [{ status: 'rejected', reason: error }];
      }
      this.logger?.warn(
        `A batched ${kind} statement of ${items.length} requests failed, trying each alone: ${
          (error as Error)?.message ?? error
        }`,
      );
      return Promise.allSettled(items.map(async item => (await runBatch([item]))[0]));
    }
  }

  /** PostgreSQL: stores runs with their tokens, in one statement (see Batcher). */
  private insertMany(inserts: RunInsert[]): Promise<PromiseSettledResult<void>[]> {
    return this.eachAloneIfRefused('insert', inserts, async batch => {
      const tokens = batch.map(({ row, tokenHash }) => ({
        token_hash: tokenHash,
        run_id: row.id,
        created_at: row.created_at,
      }));
      await this.db
        .raw(POSTGRES_INSERT_MANY, [toJsonInput(batch.map(({ row }) => row)), toJsonInput(tokens)])
        .options({ name: 'ssa_insert_runs' });
      return batch.map(() => undefined);
    });
  }

  /**
   * PostgreSQL: records webhook outcomes, in one statement. An outcome left unrecorded would
   * have the webhook sent again, hence the retry of each alone.
   */
  private setDispatchStatusMany(
    outcomes: DispatchOutcome[],
  ): Promise<PromiseSettledResult<DbRunRowWithSteps | undefined>[]> {
    return this.eachAloneIfRefused('webhook outcome', outcomes, async batch => {
      const result = await this.db
        .raw(POSTGRES_SET_DISPATCH_STATUS_MANY, [
          JSON.stringify(batch.map(({ id, dispatchStatus }) => ({ id, dispatch_status: dispatchStatus }))),
        ])
        .options({ name: 'ssa_set_dispatch_status_many' });
      const byId = new Map((result.rows as DbRunRowWithSteps[]).map(row => [row.id, row]));
      return batch.map(({ id }) => byId.get(id));
    });
  }

  /** PostgreSQL: reads the runs of many readers, in one statement. */
  private readMany(targets: RunTarget[]): Promise<PromiseSettledResult<DbRunRowWithSteps | undefined>[]> {
    return this.eachAloneIfRefused('read', targets, async batch => {
      const ids = batch.flatMap(target => ('id' in target ? [target.id] : []));
      const tokenHashes = batch.flatMap(target => ('tokenHash' in target ? [target.tokenHash] : []));
      const result = await this.db
        .raw(POSTGRES_READ_MANY, [ids, tokenHashes])
        .options({ name: 'ssa_read_runs' });
      const byId = new Map<string, DbRunRowWithSteps>();
      const byToken = new Map<string, DbRunRowWithSteps>();
      for (const row of result.rows as Array<DbRunRowWithSteps & { read_by_token: string | null }>) {
        if (row.read_by_token === null) {
          byId.set(row.id, row);
        } else {
          byToken.set(row.read_by_token, row);
        }
      }
      return batch.map(target => ('id' in target ? byId.get(target.id) : byToken.get(target.tokenHash)));
    });
  }

  /** PostgreSQL: writes the reports of many runs, in one statement; true for each written. */
  private compareAndSetMany(writes: CompareAndSet[]): Promise<PromiseSettledResult<boolean>[]> {
    return this.eachAloneIfRefused('compare-and-set', writes, async batch => {
      const result = await this.db
        .raw(POSTGRES_COMPARE_AND_SET_MANY, [toJsonInput(batch.map(compareAndSetInput))])
        .options({ name: 'ssa_compare_and_set_many' });
      const written = new Set((result.rows as Array<{ id: string }>).map(row => row.id));
      return batch.map(write => written.has(write.next.id));
    });
  }

  /** Reads a run, by id or by the hash of one of its report tokens, with its steps. */
  private async readRun(
    db: Knex | Knex.Transaction,
    target: RunTarget,
  ): Promise<{ record: RunRecord; revision: number } | undefined> {
    if ('id' in target && target.id.includes('\0')) {
      // PostgreSQL cannot hold NUL in text, so no run has such an id (and it would fail the
      // statement rather than find nothing).
      return undefined;
    }
    const row =
      this.isPostgres && db === this.db ? await this.reads.add(target) : await this.readOne(db, target);
    return row ? { record: toRecord(row), revision: Number(row.revision) } : undefined;
  }

  private async readOne(
    db: Knex | Knex.Transaction,
    target: RunTarget,
  ): Promise<DbRunRowWithSteps | undefined> {
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
    return (this.isPostgres ? result.rows : result)[0];
  }

  async insertRun(run: Omit<RunRecord, 'steps'>, tokenHash: string): Promise<void> {
    const row: InsertedRun = {
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
      await this.inserts.add({ row, tokenHash });
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
    if (!this.isPostgres) {
      await this.db.raw('update runs set dispatch_status = ?, revision = revision + 1 where id = ?', [
        dispatchStatus,
        id,
      ]);
      return this.getRunOrThrow(id);
    }
    // Written and read back in one statement. RETURNING gives the row as updated; the steps
    // are those committed when the statement started (a report racing with the webhook's
    // answer may be missing from this copy, never from the database).
    const row = await this.dispatchOutcomes.add({ id, dispatchStatus });
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
   * race matches no row, changes nothing and decides again on the new state. Two statements
   * and no transaction in the common case, where reports of one run do not collide, and both
   * shared with the reports that arrive at the same time (see Batcher). After
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
    const next = { ...current, ...update.run, steps };
    const written = await this.compareAndSets.add({ next, revision, rows });
    // The new state is known without reading it back.
    return written ? next : undefined;
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
