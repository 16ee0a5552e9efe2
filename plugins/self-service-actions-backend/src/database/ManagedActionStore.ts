import { ConflictError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { Knex } from 'knex';
import { PreconditionFailedError } from '../errors';
import { Batcher } from './postgres/Batcher';

/** An owner-managed action as stored: its definition as saved, and who changed it when. */
export interface ManagedActionRecord {
  id: string;
  definition: JsonObject;
  version: number;
  createdBy: string;
  createdAt: Date;
  updatedBy: string;
  updatedAt: Date;
}

interface DbManagedActionRow {
  id: string;
  definition: string;
  version: number | string;
  created_by: string;
  created_at: Date | string | number;
  updated_by: string;
  updated_at: Date | string | number;
}

/** The run statuses that lock an action: a change would pull the definition from under them. */
export const LOCKING_RUN_STATUSES = ['inprogress', 'pending-approval'];

/** Why changing an action with runs in progress is refused (DESIGN §12). */
export const IN_PROGRESS_MESSAGE = 'Actions in progress cannot be updated or deleted';

/**
 * Which saved definition a row holds: its version and when the action was created. The
 * version alone would not do: an action deleted and created again starts at version 1, and an
 * instance that had parsed the first one would go on using it.
 */
export function stampOf(row: { version: number | string; created_at: Date | string | number }): string {
  return `${Number(row.version)}@${new Date(row.created_at).getTime()}`;
}

/** The stamp of a record (see {@link stampOf}). */
export function recordStamp(record: ManagedActionRecord): string {
  return `${record.version}@${record.createdAt.getTime()}`;
}

function fromRow(row: DbManagedActionRow): ManagedActionRecord {
  return {
    id: row.id,
    definition: JSON.parse(row.definition),
    version: Number(row.version),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    updatedBy: row.updated_by,
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * The `managed_actions` table. Every read goes to the database, so a change made through one
 * instance is what the next request on any other instance sees; changes are conditional
 * statements (version, no run in progress), so two editors or an editor and a new run cannot
 * both win.
 */
export class ManagedActionStore {
  /**
   * Every run of a managed action asks its version: the asks of concurrent runs go as one
   * statement (measured: one statement per run cost a third of the entity-page run rate).
   */
  private readonly versionReads: Batcher<string, string | undefined>;
  /** The same, after a run is stored, waiting for a change under way (FOR SHARE). */
  private readonly lockedStampReads: Batcher<string, string | undefined>;
  private readonly isPostgres: boolean;

  constructor(private readonly db: Knex) {
    this.isPostgres = !db.client.config.client.includes('sqlite');
    const stampReads = (lock: boolean) =>
      new Batcher<string, string | undefined>({
        run: async ids => {
          const query = this.db('managed_actions').whereIn('id', [...new Set(ids)]).select('id', 'version', 'created_at');
          const rows = await (lock && this.isPostgres ? query.forShare() : query);
          const stamps = new Map(rows.map(row => [row.id as string, stampOf(row)]));
          return ids.map(id => ({ status: 'fulfilled' as const, value: stamps.get(id) }));
        },
        maxBatchSize: 500,
        maxConcurrentBatches: 4,
      });
    this.versionReads = stampReads(false);
    this.lockedStampReads = stampReads(true);
  }

  async get(id: string): Promise<ManagedActionRecord | undefined> {
    const row = await this.db<DbManagedActionRow>('managed_actions').where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  /**
   * One action's stamp (undefined: none): what a run asks, to use the version it has parsed.
   * See {@link stampOf}.
   */
  stampOf(id: string): Promise<string | undefined> {
    return this.versionReads.add(id);
  }

  /** Every action's id and stamp: cheap enough to ask on every list. */
  async stamps(): Promise<Array<{ id: string; stamp: string }>> {
    const rows = await this.db('managed_actions').select('id', 'version', 'created_at').orderBy('id');
    return rows.map(row => ({ id: row.id, stamp: stampOf(row) }));
  }

  async getMany(ids: string[]): Promise<ManagedActionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db<DbManagedActionRow>('managed_actions').whereIn('id', ids);
    return rows.map(fromRow);
  }

  /** Stores a new action at version 1; ConflictError when the id is taken. */
  async insert(id: string, definition: JsonObject, by: string, at: Date): Promise<ManagedActionRecord> {
    const row = {
      id,
      definition: JSON.stringify(definition),
      version: 1,
      created_by: by,
      created_at: at,
      updated_by: by,
      updated_at: at,
    };
    // Two creates of one id at once: the primary key refuses the second (PostgreSQL 23505,
    // SQLite's constraint code), answered as the id being taken.
    try {
      await this.db('managed_actions').insert(row);
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '');
      if (code === '23505' || code.startsWith('SQLITE_CONSTRAINT')) {
        throw new ConflictError(`An action with id ${id} already exists`);
      }
      throw error;
    }
    return fromRow(row);
  }

  /**
   * Replaces the definition when the stored version is `expectedVersion` and no run of the
   * action is in progress or awaiting approval; otherwise says why (404, 412, 409) and changes
   * nothing. See {@link ManagedActionStore.locked} for how this and a new run cannot both win.
   */
  async update(
    id: string,
    expectedVersion: number,
    definition: JsonObject,
    by: string,
    at: Date,
  ): Promise<ManagedActionRecord> {
    await this.locked(id, expectedVersion, tx =>
      tx('managed_actions').where({ id }).update({
        definition: JSON.stringify(definition),
        version: expectedVersion + 1,
        updated_by: by,
        updated_at: at,
      }),
    );
    const stored = await this.get(id);
    if (!stored) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    return stored;
  }

  /** Deletes the action under the same conditions as `update` (any version when none given). */
  async delete(id: string, expectedVersion?: number): Promise<void> {
    await this.locked(id, expectedVersion, tx => tx('managed_actions').where({ id }).delete());
  }

  /**
   * Runs a change of the action in a transaction that first locks its row (PostgreSQL:
   * `FOR UPDATE`; SQLite runs one writer at a time), then, in statements of their own, checks
   * the version and that no run of the action is open. A new run checks its action's stamp
   * after it is stored, with `FOR SHARE` ({@link ManagedActionStore.lockedStampOf}): either that
   * check waits for this transaction and sees the change (the run fails before anything is
   * sent), or it came first and this transaction's own check sees the run (409).
   */
  private async locked(id: string, expectedVersion: number | undefined, change: (tx: Knex.Transaction) => Promise<unknown>) {
    await this.db.transaction(async tx => {
      const query = tx('managed_actions').where({ id }).first('version');
      const current = await (this.isPostgres ? query.forUpdate() : query);
      if (!current) {
        throw new NotFoundError(`Action ${id} not found`);
      }
      if (expectedVersion !== undefined && Number(current.version) !== expectedVersion) {
        throw new PreconditionFailedError(
          `Action ${id} is at version ${current.version}, not ${expectedVersion}: it changed since you read it`,
        );
      }
      if (await this.lockingRuns(id, tx).first()) {
        throw new ConflictError(IN_PROGRESS_MESSAGE);
      }
      await change(tx);
    });
  }

  /**
   * The stamp of the action as a run that was just stored sees it, waiting for a change under
   * way (see {@link ManagedActionStore.locked}); undefined when it was deleted.
   */
  lockedStampOf(id: string): Promise<string | undefined> {
    return this.lockedStampReads.add(id);
  }

  /**
   * Whether any run was made of an action with this id: a new action may not take the id of a
   * deleted one (or of one removed from app-config), or its owners would read those runs.
   */
  async hasRuns(id: string): Promise<boolean> {
    return Boolean(await this.db('runs').where({ action_id: id }).first('id'));
  }

  private lockingRuns(id: string, db: Knex = this.db) {
    return db('runs').select(db.raw('1')).where({ action_id: id }).whereIn('status', LOCKING_RUN_STATUSES);
  }
}
