/*
 * PostgreSQL: the parts of the store's statements that write lifecycle events (the outbox) in
 * the same statement as the run change they tell of. Used only when some sink takes events;
 * otherwise the statements are those of a plugin without events.
 */

/**
 * The first CTE of a statement that writes events: the sinks (EventSinkFilter), from the
 * statement's first parameter (see sinksInput).
 */
export const SINKS_CTE = `sinks as (
    select * from json_to_recordset(?::json) as s(id text, types json, actions json, give_up_ms bigint)
  )`;

/** The record of an event in a statement's JSON input (see toEventRow). */
export const EVENT_RECORD = `(id text, run_id text, sequence integer, type text,
    created_at timestamptz, run_status text, completed_at timestamptz, detail text)`;

/** The columns of run_events, in the order EVENT_RECORD gives them. */
export const EVENT_COLUMNS = 'id, run_id, sequence, type, created_at, run_status, completed_at, detail';

/**
 * A CTE `fanned` writing one due delivery per event of the CTE `events` (id, run_id, sequence,
 * type, created_at) and sink that takes it, `runs` naming a CTE with each run's id and action_id.
 */
export const fanOut = (events: string, runs: string) => `fanned as (
    insert into event_deliveries (event_id, subscriber_id, run_id, sequence, status, attempts,
      next_attempt_at, give_up_at, created_at)
    select ev.id, s.id, ev.run_id, ev.sequence, 'pending', 0, ev.created_at,
      ev.created_at + s.give_up_ms * interval '1 millisecond', ev.created_at
    from ${events} ev join ${runs} r on r.id = ev.run_id cross join sinks s
    where (s.types is null or ev.type in (select json_array_elements_text(s.types)))
      and (s.actions is null or r.action_id in (select json_array_elements_text(s.actions)))
  )`;
