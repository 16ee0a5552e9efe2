import { Knex } from 'knex';
import { ExpireOptions } from './RunStore';
import { DbRunRow, DbStepRow } from './rows';
import { OPEN_STEP_STATUSES } from './postgres/statements';

/**
 * SQLite: ends one batch of stale runs and closes the steps they left open. SQLite runs one
 * writing transaction at a time, so the batch and its steps go together in one. Answers the
 * ids of the runs ended.
 */
export async function expireSqliteBatch(db: Knex, options: ExpireOptions): Promise<string[]> {
  const { now, batchSize, statuses, dispatchStatuses, status, message, stepStatus } = options;
  return db.transaction(async tx => {
    const batch = tx<DbRunRow>('runs')
      .whereIn('status', statuses)
      .whereIn('dispatch_status', dispatchStatuses)
      .where('expires_at', '<', now)
      .orderBy('expires_at')
      .limit(batchSize)
      .select('id');
    const expired = await tx<DbRunRow>('runs')
      .whereIn('id', batch)
      .whereIn('status', statuses)
      .update(
        {
          status,
          message,
          completed_at: now,
          updated_at: now,
          // Every write bumps the revision, so a report decided on the open run is retried.
          revision: tx.raw('revision + 1') as unknown as number,
        },
        ['id'],
      );
    const ids = (expired as unknown as Array<{ id: string } | string>).map(row =>
      typeof row === 'string' ? row : row.id,
    );
    if (ids.length > 0) {
      await tx<DbStepRow>('run_steps')
        .whereIn('run_id', ids)
        .whereIn('status', OPEN_STEP_STATUSES)
        .update({ status: stepStatus, completed_at: tx.raw('coalesce(completed_at, ?)', [now]) as unknown as Date });
    }
    return ids;
  });
}
