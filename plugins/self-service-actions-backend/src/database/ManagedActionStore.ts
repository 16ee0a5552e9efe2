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
  private readonly versionReads: Batcher<string, number | undefined>;

  constructor(private readonly db: Knex) {
    this.versionReads = new Batcher({
      run: async ids => {
        const rows = await this.db('managed_actions').whereIn('id', [...new Set(ids)]).select('id', 'version');
        const versions = new Map(rows.map(row => [row.id as string, Number(row.version)]));
        return ids.map(id => ({ status: 'fulfilled' as const, value: versions.get(id) }));
      },
      maxBatchSize: 500,
      maxConcurrentBatches: 4,
    });
  }

  async get(id: string): Promise<ManagedActionRecord | undefined> {
    const row = await this.db<DbManagedActionRow>('managed_actions').where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  /** One action's version (undefined: none): what a run asks, to use the version it has parsed. */
  versionOf(id: string): Promise<number | undefined> {
    return this.versionReads.add(id);
  }

  /** Every action's id and version: cheap enough to ask on every list. */
  async versions(): Promise<Array<{ id: string; version: number }>> {
    const rows = await this.db('managed_actions').select('id', 'version').orderBy('id');
    return rows.map(row => ({ id: row.id, version: Number(row.version) }));
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
    // Without a unique-violation code to tell apart on both databases, the insert that finds
    // the id taken inserts nothing, and the caller learns why.
    const inserted = await this.db.transaction(async tx => {
      if (await tx('managed_actions').where({ id }).first('id')) {
        return false;
      }
      await tx('managed_actions').insert(row);
      return true;
    });
    if (!inserted) {
      throw new ConflictError(`An action with id ${id} already exists`);
    }
    return fromRow(row);
  }

  /**
   * Replaces the definition when the stored version is `expectedVersion` and no run of the
   * action is in progress or awaiting approval, in one statement; otherwise says why (404, 412,
   * 409) and changes nothing.
   */
  async update(
    id: string,
    expectedVersion: number,
    definition: JsonObject,
    by: string,
    at: Date,
  ): Promise<ManagedActionRecord> {
    const changed = await this.db('managed_actions')
      .where({ id, version: expectedVersion })
      .whereNotExists(this.lockingRuns(id))
      .update({
        definition: JSON.stringify(definition),
        version: expectedVersion + 1,
        updated_by: by,
        updated_at: at,
      });
    if (changed === 0) {
      await this.explainRefusal(id, expectedVersion);
    }
    const stored = await this.get(id);
    if (!stored) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    return stored;
  }

  /** Deletes the action under the same conditions as `update` (any version when none given). */
  async delete(id: string, expectedVersion?: number): Promise<void> {
    const query = this.db('managed_actions').where({ id }).whereNotExists(this.lockingRuns(id));
    if (expectedVersion !== undefined) {
      query.andWhere({ version: expectedVersion });
    }
    if ((await query.delete()) === 0) {
      await this.explainRefusal(id, expectedVersion);
    }
  }

  /** Whether a run of the action is in progress or awaiting approval. */
  async hasLockingRuns(id: string): Promise<boolean> {
    return Boolean(await this.lockingRuns(id).first());
  }

  private lockingRuns(id: string) {
    return this.db('runs')
      .select(this.db.raw('1'))
      .where({ action_id: id })
      .whereIn('status', LOCKING_RUN_STATUSES);
  }

  private async explainRefusal(id: string, expectedVersion?: number): Promise<never> {
    const current = await this.db('managed_actions').where({ id }).first('version');
    if (!current) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    if (expectedVersion !== undefined && Number(current.version) !== expectedVersion) {
      throw new PreconditionFailedError(
        `Action ${id} is at version ${current.version}, not ${expectedVersion}: it changed since you read it`,
      );
    }
    throw new ConflictError(IN_PROGRESS_MESSAGE);
  }
}
