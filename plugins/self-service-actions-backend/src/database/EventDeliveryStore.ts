import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  EventDeliveryStatus,
  EventType,
} from '@self-service-actions/plugin-self-service-actions-common';
import { EventDetail } from '../events/runEvents';

/** A delivery claimed for one attempt, with what its event's body is made of. */
export interface ClaimedDelivery {
  id: string;
  /** This attempt's number: its outcome is recorded only if no later attempt was claimed. */
  attempts: number;
  giveUpAt: Date;
  event: {
    id: string;
    type: EventType;
    sequence: number;
    createdAt: Date;
    runStatus: string;
    completedAt: Date | null;
    detail: EventDetail | null;
  };
  run: {
    id: string;
    actionId: string;
    actionName: string;
    actionType: string;
    entityRef: string | null;
    initiatedBy: string;
    createdAt: Date;
  };
}

/** What became of one attempt. */
export type DeliveryOutcome =
  | { id: string; attempts: number; status: 'delivered'; at: Date; responseStatus: number | null }
  | {
      id: string;
      attempts: number;
      /** `pending` to try again at `nextAttemptAt`, `failed` when given up. */
      status: 'pending' | 'failed';
      at: Date;
      nextAttemptAt: Date;
      responseStatus: number | null;
      error: string;
    };

/** A delivery as admins see it. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  subscriberId: string;
  type: EventType;
  runId: string;
  sequence: number;
  status: EventDeliveryStatus;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  responseStatus: number | null;
  lastError: string | null;
}

type Time = Date | number | string;
const toDate = (value: Time) => (value instanceof Date ? value : new Date(value));
const toOptionalDate = (value: Time | null) => (value === null ? null : toDate(value));

/** Deliveries of lifecycle events (the outbox's other half): claims, outcomes, admin views. */
export class EventDeliveryStore {
  private readonly isPostgres: boolean;

  constructor(private readonly db: Knex) {
    this.isPostgres = db.client.config.client === 'pg';
  }

  /**
   * Claims up to `limit` due deliveries of a sink for one attempt each, leased until
   * `leaseUntil` (an instance that dies mid-attempt leaves them due again then). A delivery is
   * due only when no earlier event of its run is still pending for the sink, so a run's events
   * reach each sink in sequence order; instances skip each other's claims (SKIP LOCKED).
   */
  async claim(options: {
    subscriberId: string;
    now: Date;
    leaseUntil: Date;
    limit: number;
  }): Promise<ClaimedDelivery[]> {
    const { subscriberId, now, leaseUntil, limit } = options;
    const due = (db: Knex | Knex.Transaction) => {
      const query = db('event_deliveries as d')
        .where({ 'd.subscriber_id': subscriberId, 'd.status': 'pending' })
        .where('d.next_attempt_at', '<=', now)
        .whereNotExists(
          db('event_deliveries as p')
            .whereRaw('p.subscriber_id = d.subscriber_id and p.run_id = d.run_id')
            .where('p.status', 'pending')
            .whereRaw('p.sequence < d.sequence')
            .select(db.raw('1')),
        )
        .orderBy([{ column: 'd.next_attempt_at' }, { column: 'd.id' }])
        .limit(limit)
        .select('d.id');
      return this.isPostgres ? query.forUpdate().skipLocked() : query;
    };
    const ids = await this.db.transaction(async tx => {
      // Past their deadline and not under way: failed without another attempt (a paused
      // sink's backlog is given up on time, not one probe at a time).
      await tx('event_deliveries')
        .where({ subscriber_id: subscriberId, status: 'pending' })
        .where('give_up_at', '<', now)
        .where('next_attempt_at', '<=', now)
        .update({ status: 'failed', last_error: tx.raw('coalesce(last_error, ?)', ['Not delivered in time']) });
      const rows: Array<{ id: string | number }> = await due(tx);
      const claimed = rows.map(row => String(row.id));
      if (claimed.length > 0) {
        await tx('event_deliveries')
          .whereIn('id', claimed)
          .update({
            attempts: tx.raw('attempts + 1'),
            next_attempt_at: leaseUntil,
            last_attempt_at: now,
          });
      }
      return claimed;
    });
    if (ids.length === 0) {
      return [];
    }
    const rows = await this.db('event_deliveries as d')
      .join('run_events as e', 'e.id', 'd.event_id')
      .join('runs as r', 'r.id', 'e.run_id')
      .whereIn('d.id', ids)
      .select(
        'd.id', 'd.attempts', 'd.give_up_at', 'e.id as event_id', 'e.type', 'e.sequence',
        'e.created_at', 'e.run_status', 'e.completed_at', 'e.detail', 'r.id as run_id',
        'r.action_id', 'r.action_name', 'r.action_type', 'r.entity_ref', 'r.initiated_by',
        'r.created_at as run_created_at',
      );
    return rows.map(row => ({
      id: String(row.id),
      attempts: Number(row.attempts),
      giveUpAt: toDate(row.give_up_at),
      event: {
        id: row.event_id,
        type: row.type,
        sequence: Number(row.sequence),
        createdAt: toDate(row.created_at),
        runStatus: row.run_status,
        completedAt: toOptionalDate(row.completed_at),
        detail: row.detail ? JSON.parse(row.detail) : null,
      },
      run: {
        id: row.run_id,
        actionId: row.action_id,
        actionName: row.action_name,
        actionType: row.action_type,
        entityRef: row.entity_ref,
        initiatedBy: row.initiated_by,
        createdAt: toDate(row.run_created_at),
      },
    }));
  }

  /**
   * Records what became of attempts, each only if it is still the delivery's latest (an
   * attempt whose lease ran out and was claimed again by another instance records nothing).
   */
  async settle(outcomes: DeliveryOutcome[]): Promise<void> {
    if (outcomes.length === 0) {
      return;
    }
    const rows = outcomes.map(outcome => ({
      id: outcome.id,
      attempts: outcome.attempts,
      status: outcome.status,
      next_attempt_at: outcome.status === 'delivered' ? outcome.at : outcome.nextAttemptAt,
      delivered_at: outcome.status === 'delivered' ? outcome.at : null,
      response_status: outcome.responseStatus,
      last_error: outcome.status === 'delivered' ? null : outcome.error,
    }));
    if (this.isPostgres) {
      // One statement for the whole batch.
      await this.db.raw(
        `update event_deliveries d set status = x.status, next_attempt_at = x.next_attempt_at,
           delivered_at = x.delivered_at, response_status = x.response_status, last_error = x.last_error
         from json_to_recordset(?::json) as x(id bigint, attempts integer, status text,
           next_attempt_at timestamptz, delivered_at timestamptz, response_status integer, last_error text)
         where d.id = x.id and d.attempts = x.attempts and d.status = 'pending'`,
        [JSON.stringify(rows)],
      );
      return;
    }
    await this.db.transaction(async tx => {
      for (const { id, attempts, ...changes } of rows) {
        await tx('event_deliveries').where({ id, attempts, status: 'pending' }).update(changes);
      }
    });
  }

  /** A page of deliveries, newest first; `cursor` is the last id of the previous page. */
  async list(options: {
    status?: EventDeliveryStatus;
    subscriberId?: string;
    limit: number;
    cursor?: string;
  }): Promise<{ items: DeliveryRecord[]; nextCursor?: string }> {
    const { status, subscriberId, limit, cursor } = options;
    const query = this.selectDeliveries();
    if (status) query.where('d.status', status);
    if (subscriberId !== undefined) query.where('d.subscriber_id', subscriberId);
    if (cursor !== undefined) {
      if (!/^[1-9][0-9]{0,17}$/.test(cursor)) {
        throw new InputError('Invalid cursor');
      }
      query.where('d.id', '<', cursor);
    }
    const rows: DbDeliveryRow[] = await query.orderBy('d.id', 'desc').limit(limit + 1);
    const items = rows.slice(0, limit).map(toDeliveryRecord);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : undefined };
  }

  /**
   * Makes a delivered or failed delivery due again now, retried until `giveUpAt`. Answers the
   * delivery, `pending` when it is still pending (nothing changed), undefined when unknown.
   */
  async retry(id: string, now: Date, giveUpAt: Date): Promise<DeliveryRecord | 'pending' | undefined> {
    if (!/^[1-9][0-9]{0,17}$/.test(id)) {
      return undefined;
    }
    const updated = await this.db('event_deliveries')
      .where({ id })
      .whereNot('status', 'pending')
      .update({
        status: 'pending',
        next_attempt_at: now,
        give_up_at: giveUpAt,
        delivered_at: null,
        last_error: null,
      });
    const row: DbDeliveryRow | undefined = await this.selectDeliveries().where('d.id', id).first();
    if (!row) {
      return undefined;
    }
    return updated === 0 ? 'pending' : toDeliveryRecord(row);
  }

  /**
   * Deletes deliveries delivered before `deliveredBefore` and failed ones given up before
   * `failedBefore`, then the events no delivery needs any more; a batch at a time. Answers how
   * many deliveries went.
   */
  async purge(options: { deliveredBefore: Date; failedBefore: Date; batchSize: number }): Promise<number> {
    const { deliveredBefore, failedBefore, batchSize } = options;
    let deleted = 0;
    for (;;) {
      const batch = this.db('event_deliveries')
        .where(query =>
          query
            .where({ status: 'delivered' })
            .where('delivered_at', '<', deliveredBefore)
            .orWhere(failed => failed.where({ status: 'failed' }).where('give_up_at', '<', failedBefore)),
        )
        .limit(batchSize)
        .select('id');
      const count = await this.db('event_deliveries').whereIn('id', batch).delete();
      deleted += count;
      if (count < batchSize) {
        break;
      }
    }
    for (;;) {
      const orphans = this.db('run_events as e')
        .whereNotExists(this.db('event_deliveries as d').whereRaw('d.event_id = e.id').select(this.db.raw('1')))
        // Each event has its deliveries from the statement that wrote it: one without any is
        // done with (or no sink took it).
        .where('e.created_at', '<', deliveredBefore)
        .limit(batchSize)
        .select('e.id');
      const count = await this.db('run_events').whereIn('id', orphans).delete();
      if (count < batchSize) {
        break;
      }
    }
    return deleted;
  }

  private selectDeliveries() {
    return this.db('event_deliveries as d')
      .join('run_events as e', 'e.id', 'd.event_id')
      .select('d.*', 'e.type');
  }
}

/** A row of event_deliveries joined with its event's type. */
interface DbDeliveryRow {
  id: string | number;
  event_id: string;
  subscriber_id: string;
  run_id: string;
  sequence: number;
  status: EventDeliveryStatus;
  attempts: number;
  created_at: Time;
  next_attempt_at: Time;
  last_attempt_at: Time | null;
  delivered_at: Time | null;
  response_status: number | null;
  last_error: string | null;
  type: EventType;
}

function toDeliveryRecord(row: DbDeliveryRow): DeliveryRecord {
  return {
    id: String(row.id),
    eventId: row.event_id,
    subscriberId: row.subscriber_id,
    type: row.type,
    runId: row.run_id,
    sequence: Number(row.sequence),
    status: row.status,
    attempts: Number(row.attempts),
    createdAt: toDate(row.created_at),
    nextAttemptAt: row.status === 'pending' ? toDate(row.next_attempt_at) : null,
    lastAttemptAt: toOptionalDate(row.last_attempt_at),
    deliveredAt: toOptionalDate(row.delivered_at),
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    lastError: row.last_error,
  };
}
