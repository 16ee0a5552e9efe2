import { Knex } from 'knex';
import { ExpireOptions } from './RunStore';
import { DbRunRow, DbStepRow } from './rows';
import { OPEN_STEP_STATUSES } from './postgres/statements';
import { EventSinkFilter, FINAL_EVENT_TYPES, RunEvent } from '../events/runEvents';
import { insertEvents } from './eventRows';
import { randomUUID } from 'node:crypto';

/**
 * SQLite: ends one batch of stale runs and closes the steps they left open. SQLite runs one
 * writing transaction at a time, so the batch and its steps go together in one. Answers the
 * ids of the runs ended.
 */
export async function expireSqliteBatch(
  db: Knex,
  options: ExpireOptions,
  sinks: readonly EventSinkFilter[] = [],
): Promise<string[]> {
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
      if (sinks.length > 0) {
        await writeExpiryEvents(tx, ids, options, sinks);
      }
    }
    return ids;
  });
}

/** SQLite: the final event of each run a batch ended, in the batch's transaction. */
async function writeExpiryEvents(
  tx: Knex.Transaction,
  ids: string[],
  options: ExpireOptions,
  sinks: readonly EventSinkFilter[],
): Promise<void> {
  const { now, status, message } = options;
  const runs = await tx<DbRunRow>('runs')
    .whereIn('id', ids)
    .select('id', 'action_id', 'event_sequence', 'created_at');
  await tx<DbRunRow>('runs')
    .whereIn('id', ids)
    .update({ event_sequence: tx.raw('event_sequence + 1') as unknown as number });
  const type = FINAL_EVENT_TYPES[status as keyof typeof FINAL_EVENT_TYPES];
  const events: RunEvent[] = runs.map(run => ({
    id: randomUUID(),
    runId: run.id,
    type,
    sequence: Number(run.event_sequence) + 1,
    createdAt: now,
    runStatus: status,
    completedAt: now,
    detail: { reason: message, elapsedMs: Math.max(0, now.getTime() - new Date(run.created_at).getTime()) },
  }));
  const actionIds = new Map(runs.map(run => [run.id, run.action_id]));
  await insertEvents(tx, events, runId => actionIds.get(runId)!, sinks);
}
