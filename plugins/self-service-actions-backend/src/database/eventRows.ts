import { Knex } from 'knex';
import { EventSinkFilter, RunEvent, sinkTakes } from '../events/runEvents';

/** A row of run_events. */
export interface DbEventRow {
  id: string;
  run_id: string;
  sequence: number;
  type: string;
  created_at: Date | number | string;
  run_status: string;
  completed_at: Date | number | string | null;
  /** JSON of EventDetail, or null. */
  detail: string | null;
}

/** A row of event_deliveries as written when its event is. */
export interface NewDeliveryRow {
  event_id: string;
  subscriber_id: string;
  run_id: string;
  sequence: number;
  status: 'pending';
  attempts: number;
  next_attempt_at: Date;
  give_up_at: Date;
  created_at: Date;
}

/** The outbox row of an event. */
export function toEventRow(event: RunEvent): DbEventRow {
  return {
    id: event.id,
    run_id: event.runId,
    sequence: event.sequence,
    type: event.type,
    created_at: event.createdAt,
    run_status: event.runStatus,
    completed_at: event.completedAt,
    detail: event.detail ? JSON.stringify(event.detail) : null,
  };
}

/** One delivery per event and sink that takes it, due at once. */
export function toDeliveryRows(
  events: RunEvent[],
  actionId: string,
  sinks: readonly EventSinkFilter[],
): NewDeliveryRow[] {
  return events.flatMap(event =>
    sinks
      .filter(sink => sinkTakes(sink, event.type, actionId))
      .map(sink => ({
        event_id: event.id,
        subscriber_id: sink.id,
        run_id: event.runId,
        sequence: event.sequence,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: event.createdAt,
        give_up_at: new Date(event.createdAt.getTime() + sink.giveUpAfterMs),
        created_at: event.createdAt,
      })),
  );
}

/** Rows per insert statement: SQLite allows 32 766 bound values, a delivery row has 9. */
const ROWS_PER_INSERT = 500;

/** Writes events and their deliveries in the caller's transaction. */
export async function insertEvents(
  tx: Knex.Transaction,
  events: RunEvent[],
  actionIdOf: (runId: string) => string,
  sinks: readonly EventSinkFilter[],
): Promise<void> {
  if (events.length === 0) {
    return;
  }
  const deliveries = events.flatMap(event => toDeliveryRows([event], actionIdOf(event.runId), sinks));
  for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
    await tx('run_events').insert(events.slice(start, start + ROWS_PER_INSERT).map(toEventRow));
  }
  for (let start = 0; start < deliveries.length; start += ROWS_PER_INSERT) {
    await tx('event_deliveries').insert(deliveries.slice(start, start + ROWS_PER_INSERT));
  }
}

/** The sinks as a batched PostgreSQL statement's `sinks` input (see withSinks). */
export function sinksInput(sinks: readonly EventSinkFilter[]): string {
  return JSON.stringify(
    sinks.map(sink => ({
      id: sink.id,
      types: sink.types ?? null,
      actions: sink.actions ?? null,
      give_up_ms: sink.giveUpAfterMs,
    })),
  );
}

/** How the store writes lifecycle events. */
export interface StoreEventOptions {
  /** Who takes which events; empty: none are written. */
  sinks: readonly EventSinkFilter[];
  /** Called after a write that stored events (to wake the deliverers of this instance). */
  onWritten?: () => void;
}
