import { InputError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  EventDeliveryStatus,
  EventType,
} from '@self-service-actions/plugin-self-service-actions-common';
import { EventDetail } from '../events/runEvents';
import { DbEventRow } from './eventRows';

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

/** Which attempt of which delivery an outcome is of. */
interface Attempt {
  id: string;
  attempts: number;
  runId: string;
  sequence: number;
}

/** What became of one attempt. */
export type DeliveryOutcome =
  | (Attempt & { status: 'delivered'; at: Date; responseStatus: number | null })
  | (Attempt & {
      /** `pending` to try again at `nextAttemptAt`, `failed` when given up. */
      status: 'pending' | 'failed';
      at: Date;
      nextAttemptAt: Date;
      responseStatus: number | null;
      error: string;
    });

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

/** Due rows a claim looks at, at least: the heads of runs among them are claimed. */
const CLAIM_WINDOW = 200;
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
   * `leaseUntil` (an instance that dies mid-attempt leaves them due again then). Only the head
   * of a run's pending deliveries (its lowest sequence) is claimed, so a run's events reach each
   * sink in sequence order. Built from statements whose plans cannot go quadratic (the table
   * grows fast, faster than its statistics): the oldest due rows by index, the heads of their
   * runs, then a conditional update that another instance's claim makes miss.
   */
  async claim(options: {
    subscriberId: string;
    now: Date;
    leaseUntil: Date;
    limit: number;
  }): Promise<ClaimedDelivery[]> {
    const { subscriberId, now, leaseUntil, limit } = options;
    const ids = await this.db.transaction(async tx => {
      // Past their deadline and not under way: failed without another attempt (a paused
      // sink's backlog is given up on time, not one probe at a time).
      await tx('event_deliveries')
        .where({ subscriber_id: subscriberId, status: 'pending' })
        .where('next_attempt_at', '<=', now)
        .where('give_up_at', '<', now)
        .update({ status: 'failed', last_error: tx.raw('coalesce(last_error, ?)', ['Not delivered in time']) });
      const due: Array<{ id: string | number; run_id: string; sequence: number }> = await tx('event_deliveries')
        .where({ subscriber_id: subscriberId, status: 'pending' })
        .where('next_attempt_at', '<=', now)
        .orderBy([{ column: 'next_attempt_at' }, { column: 'id' }])
        .limit(Math.max(4 * limit, CLAIM_WINDOW))
        .select('id', 'run_id', 'sequence');
      if (due.length === 0) {
        return [];
      }
      const heads: Array<{ run_id: string; head: number }> = await tx('event_deliveries')
        .where({ subscriber_id: subscriberId, status: 'pending' })
        .whereIn('run_id', [...new Set(due.map(row => row.run_id))])
        .groupBy('run_id')
        .select('run_id', tx.raw('min(sequence) as head'));
      const headOf = new Map(heads.map(row => [row.run_id, Number(row.head)]));
      const candidates = due
        .filter(row => headOf.get(row.run_id) === Number(row.sequence))
        .slice(0, limit)
        .map(row => String(row.id));
      if (candidates.length === 0) {
        return [];
      }
      // Conditional: a row another instance claimed meanwhile is no longer due and is missed.
      const claimed = await tx('event_deliveries')
        .whereIn('id', candidates)
        .where({ status: 'pending' })
        .where('next_attempt_at', '<=', now)
        .update(
          { attempts: tx.raw('attempts + 1'), next_attempt_at: leaseUntil, last_attempt_at: now },
          ['id'],
        );
      return (claimed as unknown as Array<{ id: string | number } | string | number>).map(row =>
        String(typeof row === 'object' ? row.id : row),
      );
    });
    if (ids.length === 0) {
      return [];
    }
    return this.readClaimed(ids);
  }

  /** The claimed deliveries with their events and runs: by primary keys only. */
  private async readClaimed(ids: string[]): Promise<ClaimedDelivery[]> {
    const deliveries = await this.db('event_deliveries').whereIn('id', ids).select('id', 'attempts', 'give_up_at', 'event_id');
    const events: DbEventRow[] = await this.db('run_events').whereIn('id', deliveries.map(row => row.event_id)).select();
    const runs = await this.db('runs')
      .whereIn('id', [...new Set(events.map(event => event.run_id))])
      .select('id', 'action_id', 'action_name', 'action_type', 'entity_ref', 'initiated_by', 'created_at');
    const eventById = new Map(events.map(event => [event.id, event]));
    const runById = new Map(runs.map(run => [run.id, run]));
    return deliveries.flatMap(row => {
      const event = eventById.get(row.event_id);
      const run = event && runById.get(event.run_id);
      if (!event || !run) {
        return [];
      }
      return [
        {
          id: String(row.id),
          attempts: Number(row.attempts),
          giveUpAt: toDate(row.give_up_at),
          event: {
            id: event.id,
            type: event.type as EventType,
            sequence: Number(event.sequence),
            createdAt: toDate(event.created_at),
            runStatus: event.run_status,
            completedAt: toOptionalDate(event.completed_at),
            detail: event.detail ? JSON.parse(event.detail) : null,
          },
          run: {
            id: run.id,
            actionId: run.action_id,
            actionName: run.action_name,
            actionType: run.action_type,
            entityRef: run.entity_ref,
            initiatedBy: run.initiated_by,
            createdAt: toDate(run.created_at),
          },
        },
      ];
    });
  }

  /**
   * Records what became of attempts, each only if it is still the delivery's latest (an
   * attempt whose lease ran out and was claimed again by another instance records nothing).
   * A delivery to be retried later holds its run's later events for the sink back as long,
   * so they do not crowd the due rows while they cannot go.
   */
  async settle(subscriberId: string, outcomes: DeliveryOutcome[]): Promise<void> {
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
    const retries = outcomes.flatMap(outcome =>
      outcome.status === 'pending'
        ? [{ run_id: outcome.runId, sequence: outcome.sequence, next_attempt_at: outcome.nextAttemptAt }]
        : [],
    );
    if (this.isPostgres) {
      // One statement for the whole batch; `= any` keeps the update to the batch's rows
      // whatever the plan.
      await this.db.raw(
        `with settled as (
           update event_deliveries d set status = x.status, next_attempt_at = x.next_attempt_at,
             delivered_at = x.delivered_at, response_status = x.response_status, last_error = x.last_error
           from json_to_recordset(?::json) as x(id bigint, attempts integer, status text,
             next_attempt_at timestamptz, delivered_at timestamptz, response_status integer, last_error text)
           where d.id = any(?::bigint[]) and d.id = x.id and d.attempts = x.attempts and d.status = 'pending'
           returning d.id
         ), held as (
           update event_deliveries d set next_attempt_at = r.next_attempt_at
           from json_to_recordset(?::json) as r(run_id text, sequence integer, next_attempt_at timestamptz)
           where d.subscriber_id = ? and d.run_id = r.run_id and d.status = 'pending'
             and d.sequence > r.sequence and d.next_attempt_at < r.next_attempt_at
         )
         select count(*) from settled`,
        [JSON.stringify(rows), rows.map(row => row.id), JSON.stringify(retries), subscriberId],
      );
      return;
    }
    await this.db.transaction(async tx => {
      for (const { id, attempts, ...changes } of rows) {
        await tx('event_deliveries').where({ id, attempts, status: 'pending' }).update(changes);
      }
      for (const retry of retries) {
        await tx('event_deliveries')
          .where({ subscriber_id: subscriberId, run_id: retry.run_id, status: 'pending' })
          .where('sequence', '>', retry.sequence)
          .where('next_attempt_at', '<', retry.next_attempt_at)
          .update({ next_attempt_at: retry.next_attempt_at });
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
