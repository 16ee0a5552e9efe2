import { RunRecord, RunUpdate } from './RunStore';

/** SQLite: a run's steps as one JSON array column, in position order (see POSTGRES_STEPS_JSON). */
export const SQLITE_STEPS_JSON = `coalesce((select json_group_array(json_object('title', s.title,
  'status', s.status, 'started_at', s.started_at, 'completed_at', s.completed_at, 'logs', s.logs,
  'dropped_log_lines', s.dropped_log_lines) order by s.position)
  from run_steps s where s.run_id = runs.id), '[]') as steps_json`;
/** SQLite: as SQLITE_STEPS_JSON for run lists: each step's log count, not its lines. */
export const SQLITE_STEPS_JSON_FOR_LISTS = `coalesce((select json_group_array(json_object('title', s.title,
  'status', s.status, 'started_at', s.started_at, 'completed_at', s.completed_at,
  'log_count', json_array_length(s.logs), 'dropped_log_lines', s.dropped_log_lines)
  order by s.position) from run_steps s where s.run_id = runs.id), '[]') as steps_json`;

/** The run's steps after an update, and the step rows to upsert (new steps go last). */
export function mergeSteps(current: RunRecord, update: RunUpdate) {
  const steps = [...current.steps];
  const positions = new Map(current.steps.map((step, index) => [step.title, index]));
  const rows = (update.steps ?? []).map(step => {
    let position = positions.get(step.title);
    if (position === undefined) {
      position = steps.length;
      positions.set(step.title, position);
    }
    steps[position] = step;
    return {
      run_id: current.id,
      title: step.title,
      position,
      status: step.status,
      started_at: step.startedAt,
      completed_at: step.completedAt,
      logs: JSON.stringify(step.logs),
      dropped_log_lines: step.droppedLogLines ?? 0,
    };
  });
  return { steps, rows };
}
