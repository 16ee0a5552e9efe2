/* PostgreSQL statements of the store, batched ones included (see PostgresBatches). */
import { FINAL_RUN_STATUSES, isFinalStatus, RUN_STATUSES } from '@self-service-actions/plugin-self-service-actions-common';
import { INSERTED_RUN_COLUMNS } from '../rows';
import { EVENT_COLUMNS, EVENT_RECORD, fanOut, SINKS_CTE } from './eventStatements';

/**
 * A run's steps as one JSON array column, in position order, so a run and its steps are read
 * in one statement (one round trip to the database instead of two).
 */
export const POSTGRES_STEPS_JSON = `coalesce((select json_agg(json_build_object('title', s.title,
  'status', s.status, 'started_at', s.started_at, 'completed_at', s.completed_at, 'logs', s.logs,
  'dropped_log_lines', s.dropped_log_lines) order by s.position)
  from run_steps s where s.run_id = runs.id), '[]'::json) as steps_json`;

/** PostgreSQL: as POSTGRES_STEPS_JSON for run lists: each step's log count, not its lines. */
export const POSTGRES_STEPS_JSON_FOR_LISTS = `coalesce((select json_agg(json_build_object('title',
  s.title, 'status', s.status, 'started_at', s.started_at, 'completed_at', s.completed_at,
  'log_count', json_array_length(s.logs::json), 'dropped_log_lines', s.dropped_log_lines)
  order by s.position)
  from run_steps s where s.run_id = runs.id), '[]'::json) as steps_json`;

/**
 * PostgreSQL: locks, in id order, the runs of a batched statement's `input` (with a condition
 * on them). Two statements that lock several runs in different orders could deadlock (and
 * PostgreSQL would then abort one after a second); locking in one order, before writing, cannot.
 * NO KEY UPDATE, the lock an update of non-key columns takes anyway: unlike FOR UPDATE it does
 * not wait for a token being inserted for the run (whose foreign key check holds KEY SHARE).
 */
const lockInIdOrder = (condition: string) => `locked as materialized (
    select runs.id from runs join input i on i.id = runs.id ${condition}
    order by runs.id for no key update of runs
  )`;

/**
 * PostgreSQL: writes runs' new states, each only if the run's revision is still the one it was
 * decided on (bumping it), and upserts a run's steps only if its update matched: a
 * compare-and-set for many runs in one statement (one write per run: see Batcher). Answers
 * the ids of the runs written; the others moved on meanwhile.
 */
export const postgresCompareAndSetMany = (events: boolean) => `with ${events ? `${SINKS_CTE},` : ''} input as (
    select * from json_to_recordset(?::json) as i(id text, revision integer, status text,
      message text, messages text, error text, error_detail text, links text, started_at timestamptz, completed_at timestamptz,
      updated_at timestamptz, expires_at timestamptz, last_report_at timestamptz,
      dispatch_status text, dispatch_lease_until timestamptz, dispatch_attempts integer,
      approval text, steps json${events ? ', event_sequence integer, events json' : ''})
  ),
  ${lockInIdOrder('and runs.revision = i.revision')},
  updated as (
    update runs set status = i.status, message = i.message, messages = i.messages, error = i.error,
      error_detail = i.error_detail, links = i.links,
      started_at = i.started_at, completed_at = i.completed_at, updated_at = i.updated_at,
      expires_at = i.expires_at, last_report_at = i.last_report_at,
      dispatch_status = i.dispatch_status, dispatch_lease_until = i.dispatch_lease_until,
      dispatch_attempts = i.dispatch_attempts, approval = i.approval, revision = runs.revision + 1
      ${events ? ', event_sequence = i.event_sequence' : ''}
    from input i, locked
    where runs.id = locked.id and i.id = locked.id and runs.revision = i.revision
    returning runs.id, runs.action_id
  ),
  ${events ? `${writeEvents(`select e.* from updated join input i on i.id = updated.id
      cross join lateral json_to_recordset(i.events) as e${EVENT_RECORD}`)},
  ${fanOut('events', 'updated')},` : ''}
  upserted as (
    insert into run_steps (run_id, title, position, status, started_at, completed_at, logs,
      dropped_log_lines)
    select updated.id, s.title, s.position, s.status, s.started_at, s.completed_at, s.logs,
      s.dropped_log_lines
    from updated join input i on i.id = updated.id
    cross join lateral json_to_recordset(i.steps) as s(title text, position integer,
      status text, started_at timestamptz, completed_at timestamptz, logs text,
      dropped_log_lines integer)
    on conflict (run_id, title) do update set status = excluded.status,
      started_at = excluded.started_at, completed_at = excluded.completed_at, logs = excluded.logs,
      dropped_log_lines = excluded.dropped_log_lines
  )
  select id from updated`;

/** The final statuses as an SQL list of literals. */
const FINAL_STATUS_LIST = FINAL_RUN_STATUSES.map(status => `'${status}'`).join(', ');

/**
 * PostgreSQL: records the webhook outcome of many runs, answering them with their steps. With
 * events, a run whose webhook was delivered while it was open gets its `run.dispatched`.
 */
export const postgresSetDispatchStatusMany = (events: boolean) =>
  events
    ? `with ${SINKS_CTE},
  input as (
    select * from json_to_recordset(?::json) as i(id text, dispatch_status text)
  ),
  locked as materialized (
    select runs.id, runs.dispatch_status <> 'delivered' and i.dispatch_status = 'delivered'
      and runs.status not in (${FINAL_STATUS_LIST}) as dispatched
    from runs join input i on i.id = runs.id
    order by runs.id for no key update of runs
  ),
  updated as (
    update runs set dispatch_status = i.dispatch_status, revision = runs.revision + 1,
      event_sequence = runs.event_sequence + (case when locked.dispatched then 1 else 0 end)
    from input i, locked
    where runs.id = locked.id and i.id = locked.id
    returning runs.*, locked.dispatched
  ),
  ${writeEvents(`select gen_random_uuid()::text, u.id, u.event_sequence, 'run.dispatched', now(),
      u.status, u.completed_at, null from updated u where u.dispatched`)},
  ${fanOut('events', 'updated')}
  select runs.*, ${POSTGRES_STEPS_JSON} from updated runs`
    : `with input as (
    select * from json_to_recordset(?::json) as i(id text, dispatch_status text)
  ),
  ${lockInIdOrder('')}
  update runs set dispatch_status = i.dispatch_status, revision = runs.revision + 1
  from input i, locked
  where runs.id = locked.id and i.id = locked.id
  returning runs.*, ${POSTGRES_STEPS_JSON}`;

/** PostgreSQL: stores many runs and their report tokens (and, with events, their events) in one statement. */
export const postgresInsertMany = (events: boolean) => `with ${events ? `${SINKS_CTE},` : ''}
  inserted as (
    insert into runs (${INSERTED_RUN_COLUMNS.join(', ')})
    select ${INSERTED_RUN_COLUMNS.join(', ')} from json_populate_recordset(null::runs, ?::json)
    returning id, action_id
  ),
  tokens as (
    insert into run_tokens (token_hash, run_id, created_at)
    select t.token_hash, t.run_id, t.created_at
    from json_to_recordset(?::json) as t(token_hash text, run_id text, created_at timestamptz)
    join inserted on inserted.id = t.run_id
  )
  ${events ? `, ${writeEvents(`select e.* from json_to_recordset(?::json) as e${EVENT_RECORD}
      join inserted on inserted.id = e.run_id`)},
  ${fanOut('events', 'inserted')}` : ''}
  select count(*) from inserted`;

/** PostgreSQL: runs by id and by token hash, with their steps, for many readers at once. */
export const POSTGRES_READ_MANY = `select runs.*, ${POSTGRES_STEPS_JSON}, null::text as read_by_token
  from runs where runs.id = any(?::text[])
  union all
  select runs.*, ${POSTGRES_STEPS_JSON}, run_tokens.token_hash as read_by_token
  from run_tokens join runs on runs.id = run_tokens.run_id where run_tokens.token_hash = any(?::text[])`;

/** Step statuses an expiry closes: those that are not final. */
export const OPEN_STEP_STATUSES = RUN_STATUSES.filter(status => !isFinalStatus(status));

/**
 * Ends a batch of stale runs: `$1` status, `$2` message, `$3` now (completed and updated),
 * then the statuses and dispatch statuses it takes, `now` and the batch size; then the status
 * their open steps get, `now` (completed, unless reported) and OPEN_STEP_STATUSES. The steps
 * are closed in the same statement, so no expired run keeps a step in progress.
 *
 * The batch is selected once (an InitPlan) and locked, SKIP LOCKED leaving runs a report holds
 * right now to the next batch; the update then finds the locked runs by primary key. Written so
 * that no plan depends on statistics: many runs having just gone stale is exactly when
 * statistics are stale, and an IN (subquery) or a join was then planned as a loop over every
 * open run (minutes for 100 000 runs). No ORDER BY: which stale runs go first does not matter,
 * and without it the batch query stops early.
 */
export const postgresExpireBatch = (statuses: number, dispatchStatuses: number, events = false) => `with
${events ? `${SINKS_CTE},` : ''}
expired as (
  update runs
  set status = ?, message = ?, completed_at = ?, updated_at = ?, revision = revision + 1
    ${events ? ', event_sequence = event_sequence + 1' : ''}
  where id = any(array(select id from runs
    where status in (${placeholders(statuses)})
      and dispatch_status in (${placeholders(dispatchStatuses)}) and expires_at < ?
    limit ? for update skip locked))
  returning id, action_id, status, message, created_at, completed_at, event_sequence
), closed_steps as (
  update run_steps set status = ?, completed_at = coalesce(completed_at, ?)
  where run_id = any(array(select id from expired))
    and status in (${placeholders(OPEN_STEP_STATUSES.length)})
)
${events ? `, ${writeEvents(`select gen_random_uuid()::text, x.id, x.event_sequence, ?, x.completed_at,
      x.status, x.completed_at, json_build_object('reason', x.message, 'elapsedMs',
      floor(extract(epoch from (x.completed_at - x.created_at)) * 1000))::text
    from expired x`)},
  ${fanOut('events', 'expired')}` : ''}
select id from expired`;

/** A CTE `events` writing the events `select` gives (in EVENT_COLUMNS order). */
function writeEvents(select: string): string {
  return `events as (
    insert into run_events (${EVENT_COLUMNS})
    ${select}
    returning id, run_id, sequence, type, created_at
  )`;
}

function placeholders(count: number): string {
  return Array(count).fill('?').join(', ');
}
