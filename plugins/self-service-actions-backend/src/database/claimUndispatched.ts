import { Knex } from 'knex';
import { RunStatus } from '@self-service-actions/plugin-self-service-actions-common';
import { DbRunRow } from './rows';

/**
 * Claims up to `limit` runs in one of `statuses` whose invocation was stored but whose
 * sender's lease ran out (its instance died), each by a conditional update so two instances
 * never claim one run; returns the ids claimed.
 */
export async function claimUndispatched(
  db: Knex,
  options: { now: Date; leaseUntil: Date; limit: number; statuses: readonly RunStatus[] },
): Promise<string[]> {
  const { now, leaseUntil, limit, statuses } = options;
  const candidates = await db<DbRunRow>('runs')
    .where({ dispatch_status: 'pending' })
    .whereIn('status', statuses)
    .where('dispatch_lease_until', '<', now)
    .orderBy('dispatch_lease_until')
    .limit(limit)
    .select('id');
  const claimed: string[] = [];
  for (const { id } of candidates) {
    // Claim by conditional update, as the scaffolder claims tasks: only one instance sees
    // the lease still expired, so only one sends.
    const updated = await db<DbRunRow>('runs')
      .where({ id, dispatch_status: 'pending' })
      .whereIn('status', statuses)
      .where('dispatch_lease_until', '<', now)
      .update({
        dispatch_lease_until: leaseUntil,
        dispatch_attempts: db.raw('dispatch_attempts + 1') as unknown as number,
        revision: db.raw('revision + 1') as unknown as number,
      });
    if (updated === 1) {
      claimed.push(id);
    }
  }
  return claimed;
}
