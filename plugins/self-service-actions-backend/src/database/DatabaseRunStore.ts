import {
  DatabaseService,
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { RunStatus } from '@self-service-actions/plugin-self-service-actions-common';
import {
  DispatchStatus,
  ExpireOptions,
  RunListOptions,
  RunRecord,
  RunStore,
  RunUpdate,
  UpdateOptions,
} from './RunStore';
import { DbRunRow, DbRunRowWithSteps, DbStepRow, toInsertedRow, toRecord, toRowChanges } from './rows';
import { encodeCursor, whereListed } from './listQuery';
import { PostgresBatches, RunTarget } from './postgres/PostgresBatches';
import { expireSqliteBatch } from './sqliteExpire';
import { EventSinkFilter, FINAL_EVENT_TYPES, RunEvent, runEvents } from '../events/runEvents';
import { insertEvents, sinksInput, StoreEventOptions } from './eventRows';
import { mergeSteps, SQLITE_STEPS_JSON, SQLITE_STEPS_JSON_FOR_LISTS } from './steps';
import { claimUndispatched } from './claimUndispatched';
import {
  POSTGRES_STEPS_JSON,
  POSTGRES_STEPS_JSON_FOR_LISTS,
  OPEN_STEP_STATUSES,
  postgresExpireBatch,
} from './postgres/statements';

const migrationsDir = resolvePackagePath(
  '@self-service-actions/plugin-self-service-actions-backend',
  'migrations',
);

/** Lost compare-and-set races before an update takes the row lock instead (PostgreSQL). */
const OPTIMISTIC_ATTEMPTS = 3;


/** Stores runs with Knex in the plugin's own database (SQLite or PostgreSQL). */
export class DatabaseRunStore implements RunStore {
  /** Connects and migrates (unless migrations are skipped in config). */
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
    /** Hears of batched statements that failed (see eachAloneIfRefused). */
    logger?: LoggerService;
    /** PostgreSQL: requests that may wait per kind of batched statement (503 past it). */
    maxQueuedRequests?: number;
    /** Lifecycle events: written with every run change when some sink takes them. */
    events?: StoreEventOptions;
  }): Promise<DatabaseRunStore> {
    const { database } = options;
    const client = await database.getClient();
    if (!options.skipMigrations && !database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseRunStore(client, options.logger, options.maxQueuedRequests, options.events);
  }

  private readonly isPostgres: boolean;
  /** Where events go; empty: no events are written. */
  private readonly sinks: readonly EventSinkFilter[];
  private readonly onEventsWritten: () => void;
  /** PostgreSQL: concurrent requests share statements. */
  private readonly batches?: PostgresBatches;

  private constructor(
    private readonly db: Knex,
    logger?: LoggerService,
    maxQueuedRequests?: number,
    events?: StoreEventOptions,
  ) {
    this.isPostgres = db.client.config.client === 'pg';
    this.sinks = events?.sinks ?? [];
    this.onEventsWritten = events?.onWritten ?? (() => {});
    if (this.isPostgres) {
      this.batches = new PostgresBatches(db, {
        logger,
        maxQueued: maxQueuedRequests,
        sinks: this.sinks.length > 0 ? sinksInput(this.sinks) : undefined,
      });
    }
  }

  /** The events a change tells of, when some sink takes events. */
  private eventsOf(before: RunRecord | undefined, after: RunRecord): RunEvent[] {
    return this.sinks.length > 0 ? runEvents(before, after) : [];
  }

  private eventsWritten(events: readonly unknown[]): void {
    if (events.length > 0) {
      this.onEventsWritten();
    }
  }

  /** Reads a run, by id or by the hash of one of its report tokens, with its steps. */
  private async readRun(
    db: Knex | Knex.Transaction,
    target: RunTarget,
    mayShed = true,
  ): Promise<{ record: RunRecord; revision: number } | undefined> {
    if ('id' in target && target.id.includes('\0')) {
      // PostgreSQL cannot hold NUL in text, so no run has such an id (and it would fail the
      // statement rather than find nothing).
      return undefined;
    }
    const row =
      this.batches && db === this.db
        ? await this.batches.read(target, mayShed)
        : await this.readOne(db, target);
    return row ? { record: toRecord(row), revision: Number(row.revision) } : undefined;
  }

  private async readOne(
    db: Knex | Knex.Transaction,
    target: RunTarget,
  ): Promise<DbRunRowWithSteps | undefined> {
    // Plain SQL: this runs for every report, and building it with the query builder each time
    // costs more than the statement itself.
    const steps = this.stepsJson();
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

  async insertRun(run: Omit<RunRecord, 'steps'>, tokenHash: string | null): Promise<void> {
    const events = this.eventsOf(undefined, { ...run, steps: [] });
    const row = toInsertedRow({ ...run, eventSequence: events.length });
    if (this.batches) {
      await this.batches.insert(row, tokenHash, events);
    } else {
      await this.db.transaction(async tx => {
        await tx<DbRunRow>('runs').insert(row);
        if (tokenHash) {
          await tx('run_tokens').insert({ token_hash: tokenHash, run_id: run.id, created_at: run.createdAt });
        }
        await insertEvents(tx, events, () => run.actionId, this.sinks);
      });
    }
    this.eventsWritten(events);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return (await this.readRun(this.db, { id }))?.record;
  }

  async setDispatchStatus(id: string, dispatchStatus: DispatchStatus): Promise<RunRecord> {
    if (!this.batches && this.sinks.length > 0) {
      // SQLite with events: through the update, which derives them (run.dispatched).
      return this.updateRun(id, () => ({ run: { dispatchStatus } }), { mayShed: false });
    }
    if (!this.batches) {
      await this.db.raw('update runs set dispatch_status = ?, revision = revision + 1 where id = ?', [
        dispatchStatus,
        id,
      ]);
      return this.getRunOrThrow(id);
    }
    // Written and read back in one statement. RETURNING gives the row as updated; the steps
    // are those committed when the statement started (a report racing with the webhook's
    // answer may be missing from this copy, never from the database).
    const row = await this.batches.setDispatchStatus({ id, dispatchStatus });
    if (!row) {
      throw new NotFoundError(`Run ${id} not found`);
    }
    if (dispatchStatus === 'delivered') {
      this.eventsWritten(this.sinks);
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
    options?: UpdateOptions,
  ): Promise<RunRecord> {
    const updated = await this.update({ id }, decide, options?.mayShed ?? true);
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
    mayShed = true,
  ): Promise<RunRecord | undefined> {
    let id = 'id' in target ? target.id : undefined;
    if (this.batches) {
      for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
        const read = await this.readRun(this.db, id ? { id } : target, mayShed);
        if (!read) {
          return undefined;
        }
        id = read.record.id;
        const update = decide(read.record);
        if (!update) {
          return read.record;
        }
        const written = await this.writeIfUnchanged(read.record, read.revision, update, mayShed);
        if (written) {
          return written;
        }
      }
    }
    let written: RunEvent[] = [];
    const result = await this.db.transaction(async tx => {
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
      const { steps, rows } = mergeSteps(read.record, update);
      const next: RunRecord = { ...read.record, ...update.run, steps };
      const events = this.eventsOf(read.record, next);
      next.eventSequence = (read.record.eventSequence ?? 0) + events.length;
      await tx<DbRunRow>('runs')
        .where({ id })
        .update({
          ...toRowChanges(update.run),
          revision: read.revision + 1,
          ...(events.length > 0 ? { event_sequence: next.eventSequence } : {}),
        });
      await insertEvents(tx, events, () => next.actionId, this.sinks);
      written = events;
      if (rows.length > 0) {
        // One statement for every step of the report; a known step keeps its position.
        await tx<DbStepRow>('run_steps')
          .insert(rows)
          .onConflict(['run_id', 'title'])
          .merge(['status', 'started_at', 'completed_at', 'logs', 'dropped_log_lines']);
      }
      return next;
    });
    this.eventsWritten(written);
    return result;
  }

  /** PostgreSQL: writes an update made on revision `revision`, unless the run moved on since. */
  private async writeIfUnchanged(
    current: RunRecord,
    revision: number,
    update: RunUpdate,
    mayShed: boolean,
  ): Promise<RunRecord | undefined> {
    const { steps, rows } = mergeSteps(current, update);
    const next: RunRecord = { ...current, ...update.run, steps };
    const events = this.eventsOf(current, next);
    next.eventSequence = (current.eventSequence ?? 0) + events.length;
    const written = await this.batches!.compareAndSet(next, revision, rows, events, mayShed);
    if (written) {
      this.eventsWritten(events);
    }
    // The new state is known without reading it back.
    return written ? next : undefined;
  }

  async listRuns(options: RunListOptions): Promise<{ runs: RunRecord[]; nextCursor?: string }> {
    const { limit } = options;
    // Lists leave the log lines out (up to 100 runs of up to 100 steps of logs each).
    const stepsForLists = this.isPostgres ? POSTGRES_STEPS_JSON_FOR_LISTS : SQLITE_STEPS_JSON_FOR_LISTS;
    const query = this.db<DbRunRowWithSteps>('runs').select('runs.*', this.db.raw(stepsForLists));
    whereListed(query, options);
    const direction = options.order === 'oldest' ? 'asc' : 'desc';
    const rows = await query
      .orderBy([
        { column: 'created_at', order: direction },
        { column: 'id', order: direction },
      ])
      .limit(limit + 1);
    const runs = rows.slice(0, limit).map(toRecord);
    return {
      runs,
      nextCursor: rows.length > limit ? encodeCursor(runs[runs.length - 1]) : undefined,
    };
  }

  async claimUndispatched(options: {
    now: Date;
    leaseUntil: Date;
    limit: number;
    statuses: readonly RunStatus[];
  }): Promise<string[]> {
    // Claimed one by one by conditional update (see claimUndispatched.ts).
    return claimUndispatched(this.db, options);
  }

  async addToken(runId: string, tokenHash: string, now: Date): Promise<void> {
    await this.db('run_tokens').insert({ token_hash: tokenHash, run_id: runId, created_at: now });
  }

  async expireRuns(options: ExpireOptions): Promise<string[]> {
    // One short statement per batch: no transaction is held while anything slow happens.
    const events = this.sinks.length > 0;
    let ids: string[];
    if (this.isPostgres) {
      const { now, batchSize, statuses, dispatchStatuses, status, message, stepStatus } = options;
      const eventType = FINAL_EVENT_TYPES[status as keyof typeof FINAL_EVENT_TYPES];
      const result = await this.db.raw(
        postgresExpireBatch(statuses.length, dispatchStatuses.length, events),
        [
          ...(events ? [sinksInput(this.sinks)] : []),
          status, message, now, now, ...statuses, ...dispatchStatuses, now, batchSize,
          stepStatus, now, ...OPEN_STEP_STATUSES,
          ...(events ? [eventType] : []),
        ],
      );
      ids = result.rows.map((row: { id: string }) => row.id);
    } else {
      ids = await expireSqliteBatch(this.db, options, this.sinks);
    }
    if (events) {
      this.eventsWritten(ids);
    }
    return ids;
  }

  /** The select expression of a run's steps as one JSON array (see POSTGRES_STEPS_JSON). */
  private stepsJson(): string {
    return this.isPostgres ? POSTGRES_STEPS_JSON : SQLITE_STEPS_JSON;
  }
}
